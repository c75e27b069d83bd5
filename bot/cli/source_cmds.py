"""`sources test` (fetch, parse and score one source once) and `sources add` (with discovery)."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from bot.cli.common import config_option, config_path, exits_on_bad_input
from bot.cli.source_report import SELECTOR_KEYS, Preview, print_preview
from bot.core.models import FetchRequest, HtmlSelectors
from bot.core.sanitize import clean_line, escape_controls
from bot.errors import FetchError, InputError, ParseError

if TYPE_CHECKING:
    from bot.services.configuration import Configuration
    from bot.services.discovery import Discovery
    from bot.settings.model import SourceSettings

EXIT_NO_ITEMS = 1


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
    unknown = sorted(set(pairs) - set(SELECTOR_KEYS))
    if unknown:
        raise InputError(f"--selectors: unknown keys {unknown} (known: {', '.join(SELECTOR_KEYS)})")
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


async def run_preview(
    config: Configuration, preview: Preview, source: SourceSettings | None
) -> None:
    """Fetch once, parse (discovering the feed behind a page), score; fills `preview`."""
    import asyncio

    from bot.fetch import HttpFetcher
    from bot.fetch.limits import limits_for
    from bot.matching import compile_topics
    from bot.parse import parse_body
    from bot.parse.htmlpage import detection_of
    from bot.services.discovery import discover_feed
    from bot.services.source_preview import judge_items

    settings = config.settings
    # Without a config source the fetcher's own defaults (polling.user_agent, headers) apply.
    headers = tuple(settings.source_headers(source).items()) if source else ()
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
                if preview.selectors is None:
                    preview.detected = await asyncio.to_thread(
                        detection_of,
                        preview.result.body,
                        url=preview.result.url,
                        content_type=preview.result.content_type,
                    )
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
    import asyncio

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
            # Stored like a source from /addsource, it will be polled as one: public addresses
            # only unless telegram.allow_private_sources, so discovery obeys the same rule.
            private = settings.telegram.allow_private_sources
            return await discover_feed(fetcher, url.strip(), allow_private=private)

    import asyncio

    try:
        discovery = asyncio.run(discover())
    except FetchError as exc:
        click.echo(escape_controls(f"not added: {exc}"), err=True)
        sys.exit(EXIT_NO_ITEMS)
    found = discovery.feed
    if found is None:
        click.echo(escape_controls(f"not added: no feed found at {url}"), err=True)
        for tried, why in discovery.tried:
            click.echo(escape_controls(f"  tried {tried}: {why}"), err=True)
        sys.exit(EXIT_NO_ITEMS)
    title = clean_line(name or found.parsed.title or "")  # as /addsource stores it
    chosen_name = (title or urlsplit(found.url).hostname or found.url)[:200]
    store = open_migrated_store(settings)
    try:
        known = list_sources(store.engine)
        taken = {s.url for s in known} | {s.config_url for s in known if s.config_url}
        taken |= {s.url for s in settings.sources}
        if found.url in taken:
            click.echo(escape_controls(f"not added: {found.url} is already a source"), err=True)
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
        click.echo(escape_controls(f"feed found: {found.url} ({found.how})"))
    click.echo(
        escape_controls(
            f"added source {new_id}: {chosen_name!r} {found.url} "
            f"({len(found.parsed.items)} items now)"
        )
    )


SOURCE_COMMANDS = (test_source, add_source)
