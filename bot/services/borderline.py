"""/borderline: the stored items that came closest to matching a chat's topics without
matching them, scored again now, each with its /missed.

They are where a subscriber's verdict teaches the text model most: an item far below the
threshold is rarely relevant, one just below it often is, and the rules and the model disagree
there. Reading a short list of them is how a desk finds the phrasings its topic misses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.arguments import parse_days
from bot.core.models import Item
from bot.core.render import MAX_MESSAGE, esc, safe_link, shorten, tg_length
from bot.search.hits import SearchHit
from bot.services.misses import tap_to_report
from bot.services.ports import Scorer

BORDERLINE_USAGE = (
    "/borderline [Nd] — the stored items that came closest to matching your topics without "
    "matching (default 7d), each with /missed"
)
DEFAULT_DAYS = 7
MAX_DAYS = 90
SHOWN = 10
SCORED = 2000
"""The newest unmatched items scored again per request (a second of CPU at most)."""
TITLE_CHARS = 150


class CandidateStore(Protocol):
    """The store as /borderline needs it."""

    def unmatched_items(
        self,
        *,
        topics: Sequence[str],
        since: datetime,
        exclude_sources: Sequence[int],
        limit: int,
    ) -> Sequence[tuple[SearchHit, Item]]: ...


@dataclass(frozen=True, slots=True)
class NearMiss:
    """An unmatched stored item, the followed topic it came closest to and its score now."""

    hit: SearchHit
    item: Item
    topic: str
    score: float


class NearMisses:
    """What /borderline does in a chat."""

    def __init__(
        self,
        store: CandidateStore,
        scorer: Callable[[], Scorer | None],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.clock = clock
        self._scoring = threading.Lock()
        """One request scores at a time: chats asking together wait their turn instead of
        sharing the daemon's CPU (and its event loop's interpreter lock) among them."""

    def reply(self, followed: Sequence[str], muted_sources: Sequence[int], arg: str) -> str:
        """The reply to `/borderline [Nd]` for a chat following `followed`."""
        days = parse_days(arg) if arg.strip() else DEFAULT_DAYS
        if days is None:
            return "Usage: " + BORDERLINE_USAGE
        if not 1 <= days <= MAX_DAYS:
            return f"The period is 1d to {MAX_DAYS}d.\nUsage: {BORDERLINE_USAGE}"
        if not followed:
            return "This chat follows no topic yet: see /topics."
        scorer = self.scorer()
        if scorer is None:
            return "Scoring is not available in this process; try again in a minute."
        with self._scoring:
            candidates = self.store.unmatched_items(
                topics=followed,
                since=self.clock() - timedelta(days=days),
                exclude_sources=muted_sources,
                limit=SCORED,
            )
            near = closest(candidates, scorer, followed)
        return render(near, days=days, scanned=len(candidates))


def closest(
    candidates: Sequence[tuple[SearchHit, Item]],
    scorer: Scorer,
    followed: Sequence[str],
    *,
    limit: int = SHOWN,
) -> list[NearMiss]:
    """The `limit` candidates scoring highest, now, on a followed topic they do not match,
    each with that topic and score, best first (newer first among equals)."""
    wanted = set(followed)
    # Only the scores of what did not match are read: their explanations would be wasted.
    scored = scorer.score_many([item for _, item in candidates], explain_unmatched=False)
    near = []
    for (hit, item), scores in zip(candidates, scored, strict=True):
        open_scores = [s for s in scores if s.topic in wanted and not s.matched and s.score > 0]
        if open_scores:
            best = max(open_scores, key=lambda s: s.score)
            near.append(NearMiss(hit, item, best.topic, best.score))
    near.sort(key=lambda found: (-found.score, -found.hit.item_id))
    return near[:limit]


def render(near: Sequence[NearMiss], *, days: int, scanned: int) -> str:
    """The reply: a heading, then as many whole items as fit in one message."""
    if not near:
        return (
            f"Nothing unmatched in the last {days}d came near your topics "
            f"({scanned} stored items looked at)."
        )
    entries = [_lines(n, found) for n, found in enumerate(near, 1)]

    def message(shown: int) -> str:
        heading = (
            f"🔍 Closest to matching in the last {days}d, not matched ({scanned} stored items "
            "looked at). Tap /missed on any your topic should have caught:"
        )
        return "\n".join([heading, *entries[:shown]])

    shown = len(entries)
    while shown > 1 and tg_length(message(shown)) > MAX_MESSAGE:
        shown -= 1
    return message(shown)


def _lines(n: int, found: NearMiss) -> str:
    hit, topic, score = found.hit, found.topic, found.score
    link = safe_link(hit.link)
    title = esc(shorten(hit.title or "(untitled)", TITLE_CHARS))
    head = f'<a href="{esc(link)}">{title}</a>' if link else title
    return (
        f"{n}. {head}\n   {hit.date:%Y-%m-%d} · {esc(shorten(hit.source, 60))} · "
        f"{esc(topic)} {score:.2f} · {tap_to_report(hit.item_id)}"
    )
