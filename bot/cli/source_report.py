"""What `sources test` found out about a source, as text for people or JSON for machines."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from bot.core.models import FetchResult, HtmlSelectors, ParsedFeed
from bot.core.sanitize import escape_controls

if TYPE_CHECKING:
    from bot.parse.articles import ArticleList
    from bot.services.discovery import Discovery
    from bot.services.source_preview import ItemVerdict

SELECTOR_KEYS = ("item", "title", "link", "summary", "date")


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
    detected: ArticleList | None = None
    """For `type: html` without selectors: the link group detection chose, and among how many."""

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
                "group": self.detected.signature if self.detected else None,
                "candidate_groups": self.detected.candidates if self.detected else None,
            },
            "title": self.parsed.title if self.parsed else None,
            "warning": self.parsed.warning if self.parsed else None,
            "error": self.error,
            "timings_ms": self.timings_ms,
            "items": [_verdict_json(v) for v in self.verdicts],
        }


def _selectors_json(selectors: HtmlSelectors) -> dict[str, str]:
    return {k: v for k in SELECTOR_KEYS if (v := getattr(selectors, k)) is not None}


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


def print_preview(preview: Preview) -> None:
    """The preview for a human: HTTP facts, what was found and how, each item's verdict.

    Every text from the network (URLs, headers, titles, error messages) is shown with its
    control characters escaped: a feed must not write escape sequences to the terminal.
    """

    def echo(line: str) -> None:
        click.echo(escape_controls(line))

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
        if preview.detected is not None:
            found = preview.detected
            echo(
                f"  the list: {len(found.items)} links in {found.signature!r} "
                f"(best of {found.candidates} candidate groups)"
            )
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
