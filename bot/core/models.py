"""Typed, immutable values that flow through the pipeline: items, fetches, scores, sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Item:
    """One news item as parsed from a source: plain text, UTC dates, absolute links."""

    title: str
    link: str | None = None
    guid: str | None = None
    summary: str = ""
    content: str = ""
    published: datetime | None = None
    author: str | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a parser got out of a body: its items and, for a damaged body, a warning."""

    items: tuple[Item, ...]
    title: str | None = None
    warning: str | None = None
    beyond_cap: int = 0
    """Items left out for a cap on items per poll (the oldest)."""


@dataclass(frozen=True, slots=True)
class HtmlSelectors:
    """CSS selectors that pick items out of an HTML page (`type: html` sources)."""

    item: str
    title: str
    link: str | None = None
    summary: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """A conditional GET of one source."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    allow_private: bool = True
    """False for a URL the operator did not write into the config file (a source added from
    Telegram, a link taken from feed content): the fetch, and each of its redirects, may then
    only connect to public addresses (unless `telegram.allow_private_sources` is set)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra request headers (a source's own User-Agent among them), over the fetcher's."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful fetch: 200 with a body, or 304 with none."""

    status: int
    url: str
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None
    """The new address when the server answered with a permanent redirect (301/308)."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class TermHit:
    """A watch term found in an item, with its group and how often it occurred."""

    term: str
    group: str
    count: int


@dataclass(frozen=True, slots=True)
class EntityHit:
    """A known organisation, person or place found in an item."""

    name: str
    type: str


MODEL_REASON = "text model "
"""How the reason that tells what a topic's text model added begins."""


@dataclass(frozen=True, slots=True)
class ModelPart:
    """What a topic's text model did to an item's score."""

    probability: float
    """The model's P(relevant) from the text alone."""
    added: float
    """The blended score minus the rule score."""
    phrases: tuple[str, ...] = ()
    """The item's own phrases that pushed it most, in the direction it moved."""


@dataclass(frozen=True, slots=True)
class TopicScore:
    """How well an item fits one topic, and why."""

    topic: str
    score: float
    matched: bool
    terms: tuple[TermHit, ...] = ()
    entities: tuple[EntityHit, ...] = ()
    reasons: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    """Who acted (the actors that counted): countries as ISO 3166 alpha-2 codes, then
    international bodies by their canonical names, in order of first mention."""
    model: ModelPart | None = None


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source as the poller sees it: where to fetch, how often, and what happened last."""

    id: int
    name: str
    url: str
    type: str = "feed"
    interval_s: float = 900.0
    topics: tuple[str, ...] | None = None
    selectors: HtmlSelectors | None = None
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    enabled: bool = True
    trusted: bool = True
    """From the operator's config file; a source added from Telegram is not (see FetchRequest)."""
    headers: tuple[tuple[str, str], ...] = ()
    body_hash: str | None = None
    """SHA-256 of the last body parsed: a byte-identical body is not parsed again."""


@dataclass(frozen=True, slots=True)
class NewMatch:
    """A stored item that matched a topic: what the outbox fans out to subscribed chats."""

    item_id: int
    score: TopicScore
    title: str = ""
    link: str | None = None
    source_name: str = ""
    duplicate_of: int | None = None
    """The earlier item this one repeats (the same story from another source): no new alert,
    the story's alert lists this source too."""


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one source did, for the summary and for metrics."""

    source_id: int
    source_name: str
    ok: bool
    not_modified: bool = False
    items_seen: int = 0
    new_items: int = 0
    matches: tuple[NewMatch, ...] = ()
    error: str | None = None
    error_kind: str | None = None
    warning: str | None = None
    baseline: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    refused_items: int = 0
    """Items the database refused (logged and skipped; the others were stored)."""
    beyond_cap: int = 0
    """Items left out because the feed held more than `polling.max_items` (the oldest)."""
