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
) -> Discovery:
    """The feed at `url`, or the first feed its page links or a usual path serves.

    A FetchError for `url` itself propagates; candidates that fail are listed in `tried`.
    `allow_private=False` (a URL from Telegram) holds for every address tried: a page may
    link a feed anywhere. `parse` parses a fetched body (the daemon's runs within a budget).
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
    candidates = [(candidate, "linked by the page with rel=alternate") for candidate in linked]
    candidates += [(candidate, "a usual feed path") for candidate in common_feed_urls(first.url)]
    seen = {url, first.url}
    for candidate, how in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        try:
            request = FetchRequest(candidate, headers=headers, allow_private=allow_private)
            result = await fetcher.fetch(request)
            if is_page(result):
                tried.append((candidate, "a web page, not a feed"))
                continue
            parsed = await parse(result)
        except (FetchError, ParseError) as exc:
            tried.append((candidate, str(exc) or type(exc).__name__))
            continue
        return Discovery(FoundFeed(result.url, how, result, parsed), tuple(tried), first)
    return Discovery(None, tuple(tried), first)
