"""/search as a use case: parse the words and the period, ask the store, word the reply.

Replies are Telegram HTML with every piece of feed and user text escaped, within one message.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.arguments import parse_days
from bot.core.render import MAX_MESSAGE, esc, safe_link, shorten, tg_length
from bot.search.hits import SearchHit
from bot.search.query import Query, SearchRequest, parse_query, split_words
from bot.services.misses import tap_to_report

SEARCH_USAGE = (
    "/search &lt;words&gt; [Nd] — stored items with all these words, newest first; "
    "quote a phrase, e.g. /search 禁毒合作 30d"
)
CHAT_RESULTS = 10
MAX_DAYS = 3660
TITLE_CHARS = 150


class MutedSources(Protocol):
    @property
    def muted_sources(self) -> tuple[int, ...]: ...


class SearchStore(Protocol):
    """The store as /search needs it."""

    def search_items(self, request: SearchRequest) -> Sequence[SearchHit]: ...


class ChatSearch:
    """What /search does in a chat: the chat's muted sources are left out of its results."""

    def __init__(self, store: SearchStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def search(self, text: str, chat: MutedSources, followed: Collection[str] = ()) -> str:
        """The reply to `/search <text>`: the hits, or the usage line naming what is wrong.
        A hit that matched none of the `followed` topics offers /missed."""
        words = split_words(text)
        days = None
        if words and (days := parse_days(words[-1])) is not None:
            words = words[:-1]
            if not 1 <= days <= MAX_DAYS:
                return f"The period is 1d to {MAX_DAYS}d.\nUsage: {SEARCH_USAGE}"
        if not words:
            return "Usage: " + SEARCH_USAGE
        try:
            query = parse_query(words)
        except ValueError as exc:
            return f"Cannot search: {esc(str(exc))}.\nUsage: {SEARCH_USAGE}"
        since = self.clock() - timedelta(days=days) if days is not None else None
        request = SearchRequest(
            query, limit=CHAT_RESULTS + 1, since=since, exclude_sources=chat.muted_sources
        )
        hits = list(self.store.search_items(request))
        return render_hits(
            query, hits[:CHAT_RESULTS], more=len(hits) > CHAT_RESULTS, days=days, followed=followed
        )


def hit_lines(n: int, hit: SearchHit, followed: Collection[str] = ()) -> str:
    """One hit: its number, title as a link, then date, source and what it matched; when it
    matched none of the chat's topics, the command that reports it missed."""
    link = safe_link(hit.link)
    title = esc(shorten(hit.title or "(untitled)", TITLE_CHARS))
    head = f'<a href="{esc(link)}">{title}</a>' if link else title
    if hit.matches:
        marks = ", ".join(f"✅ {esc(m.topic)} {m.score:.2f}" for m in hit.matches)
    else:
        marks = "not matched"
    if followed and not any(m.topic in followed for m in hit.matches):
        marks += f" · {tap_to_report(hit.item_id)}"
    return f"{n}. {head}\n   {hit.date:%Y-%m-%d} · {esc(shorten(hit.source, 60))} · {marks}"


def render_hits(
    query: Query,
    hits: Sequence[SearchHit],
    *,
    more: bool,
    days: int | None,
    followed: Collection[str] = (),
) -> str:
    """The reply: a heading, then as many whole hits as fit in one message (one always does:
    its title, source and link are capped)."""
    period = f" in the last {days}d" if days is not None else ""
    asked = esc(shorten(query.text, 100))
    if not hits:
        return f"🔎 Nothing stored{period} has all of: <b>{asked}</b>."
    entries = [hit_lines(n, hit, followed) for n, hit in enumerate(hits, start=1)]

    def message(shown: int) -> str:
        items = "stored item" if shown == 1 else "stored items"
        whole = shown == len(entries) and not more
        count = f"{shown} {items}" if whole else f"the newest {shown} {items}"
        return "\n".join([f"🔎 <b>{asked}</b>{period}: {count}, newest first", *entries[:shown]])

    shown = len(entries)
    while shown > 1 and tg_length(message(shown)) > MAX_MESSAGE:
        shown -= 1
    return message(shown)
