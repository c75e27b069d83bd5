"""Stories: a new match that repeats an item matched in the last 48 h joins that item's story.

Inside `save_poll`'s transaction: each newly matched item is compared (bot.core.fingerprint)
with the items of *other* sources matched on the same topic in the window (a feed that gives
every item the same boilerplate summary must not merge its own stories). A near-duplicate
takes the story of the earlier item; a story's id is its first item's id, so
it stays the same however many sources join. The chats that had the story's alert get an
`edit` outbox row instead of a second alert (see `edit_rows`); the others get a normal alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from bot.core.fingerprint import Fingerprint, fingerprint, near_duplicate, resemblance
from bot.storage.tables import ITEM, MATCH, OUTBOX, SOURCE
from bot.storage.transaction import AnyRow, chunks

STORY_WINDOW = timedelta(hours=48)
"""How far back a new item looks for its story: wire copies appear within hours; a story
that comes back days later is news again and alerts again."""

CONTENT_CHARS = 4000
"""Enough of a candidate's content for its fingerprint (which reads only the lead)."""

i, m, o, s = ITEM.c, MATCH.c, OUTBOX.c, SOURCE.c


@dataclass(frozen=True, slots=True)
class NewMatchRow:
    """A match inserted by this poll: its id, item and topic, and the item's text."""

    match_id: int
    item_id: int
    topic: str
    title: str
    summary: str
    content: str
    fingerprinted: bool


@dataclass(frozen=True, slots=True)
class StoryLink:
    """A new match that repeats an earlier item: the story it joined and that item."""

    story_id: int
    original_item_id: int


@dataclass(slots=True)
class _Candidate:
    item_id: int
    story_id: int | None
    print: Fingerprint

    @property
    def story(self) -> int:
        return self.story_id if self.story_id is not None else self.item_id


def _candidates(conn: Connection, topic: str, source_id: int, now: datetime) -> list[_Candidate]:
    """Fingerprinted items of other sources matched on `topic` within the window, oldest
    first (this poll's items, all of `source_id`, are left out with the rest of its items)."""
    rows = conn.execute(
        select(i.id, i.story_id, i.title, i.summary, func.substr(i.content, 1, CONTENT_CHARS))
        .join(MATCH, m.item_id == i.id)
        .where(
            m.topic == topic,
            m.created_at >= now - STORY_WINDOW,
            i.fingerprint.is_not(None),
            i.source_id != source_id,
        )
        .order_by(i.id)
    ).all()
    return [_Candidate(row[0], row[1], fingerprint(row[2], row[3], row[4] or "")) for row in rows]


def _best(
    new: Fingerprint, candidates: Iterable[_Candidate], story: int | None
) -> _Candidate | None:
    """The candidate `new` repeats most closely (the earliest on a tie), if any.

    `story`: the story the new item joined already (through another topic); an item is in one
    story only, so then only that story's items count.
    """
    best: _Candidate | None = None
    best_score = 0.0
    for candidate in candidates:
        if story is not None and candidate.story != story:
            continue
        if not near_duplicate(new, candidate.print):
            continue
        score = resemblance(new, candidate.print)
        if score > best_score:
            best, best_score = candidate, score
    return best


def link_stories(
    conn: Connection, source_id: int, new: Sequence[NewMatchRow], now: datetime
) -> dict[int, StoryLink]:
    """Put each new match's item in the story it repeats; returns the links by match id.

    Sets `story_id` on the new item and, when it starts being a story, on the earlier one.
    Items the poller did not fingerprint (matched before fingerprints existed) take no part.
    """
    wanted = [row for row in new if row.fingerprinted]
    if not wanted:
        return {}
    prints = {row.item_id: fingerprint(row.title, row.summary, row.content) for row in wanted}
    joined: dict[int, int] = {}  # item id -> story, for the items this poll put in one
    links: dict[int, StoryLink] = {}
    by_topic: dict[str, list[NewMatchRow]] = defaultdict(list)
    for row in sorted(wanted, key=lambda r: (r.item_id, r.topic)):
        by_topic[row.topic].append(row)
    for topic, rows in sorted(by_topic.items()):
        candidates = _candidates(conn, topic, source_id, now)
        for row in rows:
            found = _best(prints[row.item_id], candidates, joined.get(row.item_id))
            if found is not None:
                if found.story_id is None:  # the earlier item starts the story
                    found.story_id = found.item_id
                    _set_story(conn, found.item_id, found.item_id)
                if row.item_id not in joined:
                    joined[row.item_id] = found.story
                    _set_story(conn, row.item_id, found.story)
                links[row.match_id] = StoryLink(found.story, found.item_id)
    return links


def _set_story(conn: Connection, item_id: int, story_id: int) -> None:
    conn.execute(update(ITEM).where(i.id == item_id).values(story_id=story_id))


def story_alerts(conn: Connection, story_id: int, topic: str) -> list[AnyRow]:
    """The alert rows (any status) of a story's matches on `topic`: who had the story."""
    return list(
        conn.execute(
            select(o.id, o.chat_id, o.message_thread_id, o.status, o.digest)
            .join(MATCH, m.id == o.match_id)
            .join(ITEM, i.id == m.item_id)
            .where(
                o.kind == "alert",
                m.topic == topic,
                or_(i.story_id == story_id, i.id == story_id),
            )
            .order_by(o.id)
        ).all()
    )


def story_source_ids(conn: Connection, story_id: int, *, besides: int) -> set[int]:
    """The sources of a story's items other than item `besides`."""
    return set(
        conn.execute(
            select(i.source_id).where(i.story_id == story_id, i.id != besides).distinct()
        ).scalars()
    )


def edit_rows(alerts: Sequence[AnyRow], match_id: int, now: datetime) -> list[dict[str, Any]]:
    """An edit row per alert a chat got or will get as a single message, so it lists the new
    source. None for digest rows (a digest is never edited; one not sent yet lists every
    source when it goes) nor for alerts that failed or were dropped (nothing to edit)."""
    return [
        {
            "match_id": match_id,
            "chat_id": alert.chat_id,
            "message_thread_id": alert.message_thread_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "digest": False,
            "created_at": now,
            "kind": "edit",
            "edit_of": alert.id,
        }
        for alert in alerts
        if not alert.digest and alert.status not in ("failed", "dropped")
    ]


def story_sources(conn: Connection, story_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each story's source names, in the order the sources first carried it."""
    wanted = sorted(set(story_ids))
    found: dict[int, list[str]] = defaultdict(list)
    for part in chunks(wanted):
        rows = conn.execute(
            select(i.story_id, s.name, func.min(i.id).label("first"))
            .join(SOURCE, s.id == i.source_id)
            .where(i.story_id.in_(part))
            .group_by(i.story_id, s.name)
            .order_by(i.story_id, "first")
        ).all()
        for row in rows:
            found[row.story_id].append(row.name)
    return dict(found)
