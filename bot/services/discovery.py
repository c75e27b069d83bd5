"""Feed discovery: given a site's page instead of a feed, find a feed that parses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.models import FetchRequest, FetchResult, ParsedFeed
from bot.errors import FetchError, ParseError
from bot.parse import parse_body
from bot.parse.discovery import common_feed_urls, linked_feeds
from bot.parse.sniff import looks_like_html
from bot.services.ports import Fetcher
from bot.settings.tuning import DISCOVERY_BUDGET_S

MAX_LINKED_FEEDS = 8
"""Linked feeds tried from one page; a page may link thousands, and each would be a request."""


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A URL that gave a parsable feed, how it was found, and what it gave."""

    url: str
    how: str
    result: FetchResult
    parsed: ParsedFeed


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery found (or not), and each candidate it tried with why it was no feed."""

    feed: FoundFeed | None
    tried: tuple[tuple[str, str], ...] = ()
    first: FetchResult | None = None
    """The given URL's own answer (a page, when discovery had to look further)."""


def is_page(result: FetchResult) -> bool:
    """A body that opens like an HTML page (whatever its content type says) is no feed."""
    return looks_like_html(result.body, None)


async def parse_off_loop(result: FetchResult) -> ParsedFeed:
    """parse_body in a worker thread: a large feed takes tens of ms of CPU."""
    return await asyncio.to_thread(
        parse_body, result.body, url=result.url, content_type=result.content_type
    )


async def discover_feed(
    fetcher: Fetcher,
    url: str,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    allow_private: bool = True,
    parse: Callable[[FetchResult], Awaitable[ParsedFeed]] = parse_off_loop,
    budget_s: float = DISCOVERY_BUDGET_S,
) -> Discovery:
    """The feed at `url`, or the first feed its page links or a usual path serves.

    A FetchError for `url` itself propagates; candidates that fail are listed in `tried`.
    `allow_private=False` (a URL from Telegram) holds for every address tried: a page may
    link a feed anywhere. `parse` parses a fetched body (the daemon's runs within a budget).
    At most MAX_LINKED_FEEDS linked feeds and the usual paths are tried, within `budget_s`
    seconds after the page: a hostile page cannot make one discovery last or fetch for ever.
    """
    first = await fetcher.fetch(FetchRequest(url, headers=headers, allow_private=allow_private))
    if not is_page(first):
        try:
            parsed = await parse(first)
        except ParseError as exc:
            if not looks_like_html(first.body, first.content_type):
                return Discovery(None, ((url, str(exc)),), first)
        else:
            return Discovery(FoundFeed(first.url, "the URL itself", first, parsed), (), first)
    tried: list[tuple[str, str]] = [(url, "a web page, not a feed")]

    linked = await asyncio.to_thread(linked_feeds, first.body, base_url=first.url)
    candidates = _candidates(linked, first.url, skip={url, first.url}, tried=tried)
    deadline = asyncio.get_running_loop().time() + budget_s
    for index, (candidate, how) in enumerate(candidates):
        try:
            async with asyncio.timeout_at(deadline):
                request = FetchRequest(candidate, headers=headers, allow_private=allow_private)
                result = await fetcher.fetch(request)
                if is_page(result):
                    tried.append((candidate, "a web page, not a feed"))
                    continue
                parsed = await parse(result)
        except TimeoutError:
            left = len(candidates) - index - 1
            why = f"discovery stopped after {budget_s:g} s; {left} more not tried"
            tried.append((candidate, why))
            break
        except (FetchError, ParseError) as exc:
            tried.append((candidate, str(exc) or type(exc).__name__))
            continue
        return Discovery(FoundFeed(result.url, how, result, parsed), tuple(tried), first)
    return Discovery(None, tuple(tried), first)


def _candidates(
    linked: list[str], page_url: str, *, skip: set[str], tried: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The first MAX_LINKED_FEEDS linked feeds, then the usual paths, each once; a note in
    `tried` for linked feeds left out."""
    fresh = [candidate for candidate in linked if candidate not in skip]
    if len(fresh) > MAX_LINKED_FEEDS:
        left_out = len(fresh) - MAX_LINKED_FEEDS
        note = f"{left_out} more linked feeds not tried (at most {MAX_LINKED_FEEDS})"
        tried.append((fresh[MAX_LINKED_FEEDS], note))
        fresh = fresh[:MAX_LINKED_FEEDS]
    candidates = [(candidate, "linked by the page with rel=alternate") for candidate in fresh]
    seen = skip | set(fresh)
    for candidate in common_feed_urls(page_url):
        if candidate not in seen:
            seen.add(candidate)
            candidates.append((candidate, "a usual feed path"))
    return candidates
