"""`sources test` (fetch, parse and score one source once) and `sources add` (with discovery)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from bot.cli.common import config_option, config_path, exits_on_bad_input
from bot.core.models import FetchRequest, FetchResult, HtmlSelectors, ParsedFeed
from bot.errors import FetchError, InputError, ParseError

if TYPE_CHECKING:
    from bot.services.configuration import Configuration
    from bot.services.discovery import Discovery
    from bot.services.source_preview import ItemVerdict
    from bot.settings.model import SourceSettings

EXIT_NO_ITEMS = 1
_SELECTOR_KEYS = ("item", "title", "link", "summary", "date")


def parse_selectors(text: str) -> HtmlSelectors:
    """`item=li.news; title=a; date=time` (or a JSON object) -> HtmlSelectors."""
    pairs: dict[str, str] = {}
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            loaded = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(f"--selectors: not a JSON object: {exc}") from exc
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise InputError("--selectors: a JSON object of strings is expected")
        pairs = loaded
    else:
        for part in filter(None, (p.strip() for p in stripped.split(";"))):
            key, sep, value = part.partition("=")
            if not sep or not value.strip():
                raise InputError(f"--selectors: {part!r} is not key=selector")
            pairs[key.strip()] = value.strip()
    unknown = sorted(set(pairs) - set(_SELECTOR_KEYS))
    if unknown:
        raise InputError(
            f"--selectors: unknown keys {unknown} (known: {', '.join(_SELECTOR_KEYS)})"
        )
    if "item" not in pairs or "title" not in pairs:
        raise InputError("--selectors: item and title are required, e.g. 'item=li.news; title=a'")
    return HtmlSelectors(**pairs)


def load_config(config_file: str | None) -> Configuration:
    """The config named by this command's --config, else the `sources` group's, else the
    default."""
    from bot.services.configuration import load_configuration

    if config_file is None:
        parent = click.get_current_context().find_object(dict)
        config_file = parent.get("config_file") if parent else None
    return load_configuration(config_path(config_file), env=os.environ)


def find_source(config: Configuration, target: str) -> tuple[str, SourceSettings | None]:
    """A URL (and the config source with that URL, if any), or a config source by name."""
    sources = config.settings.sources
    parts = urlsplit(target.strip())
    if parts.scheme in ("http", "https") and parts.hostname:
        same = [s for s in sources if s.url == target.strip()]
        return target.strip(), same[0] if same else None
    for wanted in (target, target.casefold()):
        for source in sources:
            if source.name == wanted or source.name.casefold() == wanted:
                return source.url, source
    names = ", ".join(repr(s.name) for s in sources[:8]) or "none"
    raise InputError(
        f"{target!r} is neither an http(s) URL nor the name of a source in {config.path} "
        f"(sources: {names}{', ...' if len(sources) > 8 else ''})"
    )


@dataclass
class Preview:
    """Everything `sources test` found out, shown as text or JSON."""

    requested: str
    name: str | None
    source_type: str
    selectors: HtmlSelectors | None
    result: FetchResult | None = None
    discovery: Discovery | None = None
    parsed: ParsedFeed | None = None
    verdicts: list[ItemVerdict] = field(default_factory=list)
    error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        result = self.result
        found = self.discovery.feed if self.discovery else None
        return {
            "url": self.requested,
            "source": self.name,
            "type": self.source_type,
            "http": None
            if result is None
            else {
                "status": result.status,
                "final_url": result.url,
                "permanent_redirect_to": result.permanent_url,
                "content_type": result.content_type,
                "etag": result.etag,
                "last_modified": result.last_modified,
                "bytes": len(result.body),
            },
            "discovery": None
            if self.discovery is None or (found and found.how == "the URL itself")
            else {
                "feed_url": found.url if found else None,
                "how": found.how if found else None,
                "tried": [{"url": u, "why": why} for u, why in self.discovery.tried],
            },
            "html": None
            if self.source_type != "html"
            else {
                "selectors": None if self.selectors is None else _selectors_json(self.selectors),
                "detected": self.selectors is None,
            },
            "title": self.parsed.title if self.parsed else None,
            "warning": self.parsed.warning if self.parsed else None,
            "error": self.error,
            "timings_ms": self.timings_ms,
            "items": [_verdict_json(v) for v in self.verdicts],
        }


def _selectors_json(selectors: HtmlSelectors) -> dict[str, str]:
    return {k: v for k in _SELECTOR_KEYS if (v := getattr(selectors, k)) is not None}


def _verdict_json(verdict: ItemVerdict) -> dict[str, Any]:
    item = verdict.item
    return {
        "title": item.title,
        "link": item.link,
        "published": item.published.isoformat() if item.published else None,
        "alert": verdict.alert,
        "why_not": list(verdict.why_not),
        "scores": [
            {"topic": s.topic, "score": round(s.score, 4), "matched": s.matched}
            for s in verdict.scores
        ],
    }


async def run_preview(
    config: Configuration, preview: Preview, source: SourceSettings | None
) -> None:
    """Fetch once, parse (discovering the feed behind a page), score; fills `preview`."""
    from bot.fetch import HttpFetcher
    from bot.fetch.limits import limits_for
    from bot.matching import compile_topics
    from bot.parse import parse_body
    from bot.services.discovery import discover_feed
    from bot.services.source_preview import judge_items

    settings = config.settings
    headers = tuple(settings.source_headers(source).items()) if source else ()
    if not source and settings.polling.user_agent:
        headers = (("User-Agent", settings.polling.user_agent),)
    clock = time.perf_counter
    async with HttpFetcher(limits_for(settings.polling)) as fetcher:
        started = clock()
        try:
            if preview.source_type == "html":
                preview.result = await fetcher.fetch(
                    FetchRequest(preview.requested, headers=headers)
                )
                preview.timings_ms["fetch"] = round((clock() - started) * 1000, 1)
                parsing = clock()
                preview.parsed = await asyncio.to_thread(
                    parse_body,
                    preview.result.body,
                    url=preview.result.url,
                    content_type=preview.result.content_type,
                    source_type="html",
                    selectors=preview.selectors,
                )
                preview.timings_ms["parse"] = round((clock() - parsing) * 1000, 1)
            else:
                preview.discovery = await discover_feed(fetcher, preview.requested, headers=headers)
                preview.timings_ms["fetch_and_parse"] = round((clock() - started) * 1000, 1)
                found = preview.discovery.feed
                preview.result = found.result if found else preview.discovery.first
                preview.parsed = found.parsed if found else None
                if found is None:
                    tried = preview.discovery.tried
                    preview.error = "no feed found" + (f": {tried[0][1]}" if tried else "")
        except (FetchError, ParseError) as exc:
            preview.error = str(exc) or type(exc).__name__
    if preview.parsed is not None:
        scored = clock()
        matcher = await asyncio.to_thread(compile_topics, config.topics)
        compiled = clock()
        preview.verdicts = judge_items(
            preview.parsed.items,
            matcher,
            topics=source.topics if source else None,
            now=datetime.now(UTC),
            max_item_age_s=settings.polling.max_item_age,
        )
        preview.timings_ms["compile_topics"] = round((compiled - scored) * 1000, 1)
        preview.timings_ms["score"] = round((clock() - compiled) * 1000, 1)


def print_preview(preview: Preview) -> None:
    """The preview for a human: HTTP facts, what was found and how, each item's verdict."""
    echo = click.echo
    echo(f"source: {preview.name or '(not in config)'}  {preview.requested}")
    result = preview.result
    if result is not None:
        echo(
            f"http: {result.status}  final URL {result.url}  {len(result.body)} bytes  "
            f"content-type {result.content_type or '-'}"
        )
        echo(f"validators: ETag {result.etag or '-'}  Last-Modified {result.last_modified or '-'}")
        if result.permanent_url:
            echo(f"permanent redirect: the source's URL would become {result.permanent_url}")
    discovery = preview.discovery
    if discovery is not None and not (discovery.feed and discovery.feed.how == "the URL itself"):
        if discovery.feed:
            echo(f"feed found: {discovery.feed.url} ({discovery.feed.how})")
        for url, why in discovery.tried:
            echo(f"  tried {url}: {why}")
    if preview.source_type == "html":
        how = (
            "article list detected automatically (no selectors)"
            if preview.selectors is None
            else "selectors " + json.dumps(_selectors_json(preview.selectors))
        )
        echo(f"html: {how}")
    if preview.parsed is not None:
        echo(f"title: {preview.parsed.title or '-'}")
        if preview.parsed.warning:
            echo(f"warning: {preview.parsed.warning}")
    if preview.error:
        echo(f"error: {preview.error}")
    timings = ", ".join(f"{k} {v:g} ms" for k, v in preview.timings_ms.items())
    echo(f"timings: {timings}")
    alerts = sum(v.alert for v in preview.verdicts)
    echo(f"{len(preview.verdicts)} items, {alerts} would alert")
    for verdict in preview.verdicts:
        item = verdict.item
        best = max((s.score for s in verdict.scores), default=0.0)
        mark = "ALERT" if verdict.alert else "  -  "
        dated = item.published.date().isoformat() if item.published else "undated"
        echo(f"{mark} {best:.2f}  {dated}  {item.title[:100]}")
        if item.link:
            echo(f"        {item.link}")
        for reason in verdict.why_not:
            echo(f"        why not: {reason}")


@click.command("test")
@config_option
@click.argument("target", metavar="URL|NAME")
@click.option("--type", "source_type", type=click.Choice(["feed", "html"]), default=None)
@click.option(
    "--selectors",
    default=None,
    help="For --type html: 'item=CSS; title=CSS; link=CSS; date=CSS; summary=CSS' (or JSON).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for machines.")
@exits_on_bad_input
def test_source(
    config_file: str | None,
    target: str,
    source_type: str | None,
    selectors: str | None,
    as_json: bool,
) -> None:
    """Fetch a source once, parse and score it; show each item and whether it would alert.

    Exit 0 when items were found, 1 when none, 2 on bad input.
    """
    config = load_config(config_file)
    url, source = find_source(config, target)
    chosen_type = source_type or (source.type if source else "feed")
    chosen = parse_selectors(selectors) if selectors else None
    if chosen is not None and chosen_type != "html":
        raise InputError("--selectors only apply with --type html")
    if chosen is None and source is not None and source.selectors is not None:
        chosen = HtmlSelectors(**source.selectors.model_dump())
    preview = Preview(url, source.name if source else None, chosen_type, chosen)
    asyncio.run(run_preview(config, preview, source))
    if as_json:
        click.echo(json.dumps(preview.as_json(), ensure_ascii=False, indent=2))
    else:
        print_preview(preview)
    sys.exit(0 if preview.verdicts else EXIT_NO_ITEMS)


@click.command("add")
@config_option
@click.argument("url")
@click.option("--name", default=None, help="Default: the feed's title, else the host name.")
@click.option(
    "--interval", default=None, help="How often to poll, e.g. 30m (default: polling.interval)."
)
@click.option("--topics", default=None, help="Comma-separated topic ids (default: all topics).")
@exits_on_bad_input
def add_source(
    config_file: str | None,
    url: str,
    name: str | None,
    interval: str | None,
    topics: str | None,
) -> None:
    """Add a feed (or the feed a site's page links) to the database, as /addsource does."""
    from bot.cli.data_cmds import open_migrated_store
    from bot.fetch import HttpFetcher
    from bot.fetch.limits import limits_for
    from bot.services.discovery import discover_feed
    from bot.settings.units import parse_duration
    from bot.storage import SourceSpec
    from bot.storage.exports import list_sources

    config = load_config(config_file)
    settings = config.settings
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http(s) URL")
    try:
        interval_s = parse_duration(interval) if interval else settings.polling.interval
    except ValueError as exc:
        raise InputError(f"--interval: {exc}") from exc
    wanted_topics = tuple(t.strip() for t in topics.split(",") if t.strip()) if topics else None
    unknown = sorted(set(wanted_topics or ()) - set(config.topic_ids))
    if unknown:
        raise InputError(f"--topics: unknown {unknown} (known: {', '.join(config.topic_ids)})")

    async def discover() -> Discovery:
        async with HttpFetcher(limits_for(settings.polling)) as fetcher:
            return await discover_feed(fetcher, url.strip())

    try:
        discovery = asyncio.run(discover())
    except FetchError as exc:
        click.echo(f"not added: {exc}", err=True)
        sys.exit(EXIT_NO_ITEMS)
    found = discovery.feed
    if found is None:
        click.echo(f"not added: no feed found at {url}", err=True)
        for tried, why in discovery.tried:
            click.echo(f"  tried {tried}: {why}", err=True)
        sys.exit(EXIT_NO_ITEMS)
    chosen_name = (name or found.parsed.title or urlsplit(found.url).hostname or found.url)[:200]
    store = open_migrated_store(settings)
    try:
        known = list_sources(store.engine)
        taken = {s.url for s in known} | {s.config_url for s in known if s.config_url}
        taken |= {s.url for s in settings.sources}
        if found.url in taken:
            click.echo(f"not added: {found.url} is already a source", err=True)
            sys.exit(EXIT_NO_ITEMS)
        spec = SourceSpec(
            name=chosen_name, url=found.url, interval_s=interval_s, topics=wanted_topics
        )
        new_id = store.add_source(spec, now=datetime.now(UTC))
    finally:
        store.close()
    if new_id is None:
        click.echo(f"not added: a source named {chosen_name!r} exists already", err=True)
        sys.exit(EXIT_NO_ITEMS)
    if found.how != "the URL itself":
        click.echo(f"feed found: {found.url} ({found.how})")
    click.echo(
        f"added source {new_id}: {chosen_name!r} {found.url} ({len(found.parsed.items)} items now)"
    )


SOURCE_COMMANDS = (test_source, add_source)
