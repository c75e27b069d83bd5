"""Item rows: which entries are new, storing a poll with its matches and outbox rows, pruning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select, tuple_, update
from sqlalchemy.exc import StatementError

from bot.core.models import NewMatch, TopicScore
from bot.places.follow import chat_wants
from bot.search.analyze import document
from bot.services.ports import PollSuccess, RefusedItem, StoredEntry
from bot.storage.actors import insert_actors
from bot.storage.bursts import limit_burst
from bot.storage.retry import describe_refusal, is_transient, retries_transient
from bot.storage.search import index_items
from bot.storage.stories import (
    NewMatchRow,
    StoryLink,
    edit_rows,
    link_stories,
    story_alerts,
    story_source_ids,
)
from bot.storage.tables import CHAT, ITEM, MATCH, MISS_REPORT, OUTBOX, SOURCE, SUBSCRIPTION
from bot.storage.transaction import AnyRow, StoreBase, chunks

CHAT_MUTED = "chat muted"
# What the database (or its driver, binding a value: sqlite3 raises a bare UnicodeEncodeError
# for a lone surrogate) says when it cannot store a row.
_REFUSALS = (StatementError, ValueError)


def _item_row(source_id: int, entry: StoredEntry, now: datetime, doc: str) -> dict[str, Any]:
    item = entry.item
    return {
        "source_id": source_id,
        "key": entry.key,
        "canonical_link": entry.canonical_link,
        "title_hash": entry.title_hash,
        "title": item.title,
        "link": item.link,
        "summary": item.summary,
        "content": item.content,
        "author": item.author,
        "published": item.published,
        "lang": item.lang,
        "fetched_at": now,
        "fingerprint": entry.fingerprint,
        "search_text": doc,
    }


def _match_row(item_id: int, score: TopicScore, now: datetime) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "topic": score.topic,
        "score": score.score,
        "terms": [asdict(term) for term in score.terms],
        "entities": [asdict(entity) for entity in score.entities],
        "reasons": list(score.reasons),
        "actors": list(score.actors),
        "created_at": now,
    }


def _wants(sub: AnyRow, source_id: int, score: float) -> bool:
    """Whether a subscribed chat takes an alert of this score from this source."""
    if sub.threshold is not None and score < sub.threshold:
        return False
    return source_id not in (sub.muted_sources or ())


def _outbox_row(sub: AnyRow, match_id: int, now: datetime) -> dict[str, Any]:
    # A muted chat keeps a record of what it missed (for /recent) but is not sent it.
    muted = sub.muted_until is not None and sub.muted_until > now
    return {
        "match_id": match_id,
        "chat_id": sub.chat_id,
        "message_thread_id": sub.message_thread_id,
        "status": "dropped" if muted else "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": CHAT_MUTED if muted else None,
        "digest": sub.digest != "off",
        "created_at": now,
        "burst_more": None,
    }


class ItemStore(StoreBase):
    """Items, each stored once per source even when two pollers race."""

    @retries_transient
    def filter_new(self, source_id: int, entries: Sequence[StoredEntry]) -> list[StoredEntry]:
        """Entries not stored yet: unknown key, and no stored item with the same link+title
        (a feed that changed an item's guid still has the same item)."""
        if not entries:
            return []
        i = ITEM.c
        keys = list({entry.key for entry in entries})
        pairs = list({(e.canonical_link, e.title_hash) for e in entries if e.canonical_link})
        known_keys: set[str] = set()
        known_pairs: set[tuple[str, str]] = set()
        with self._transaction() as conn:
            for part in chunks(keys):
                known_keys.update(
                    conn.execute(
                        select(i.key).where(i.source_id == source_id, i.key.in_(part))
                    ).scalars()
                )
            for pair_part in chunks(pairs):
                rows = conn.execute(
                    select(i.canonical_link, i.title_hash).where(
                        i.source_id == source_id,
                        tuple_(i.canonical_link, i.title_hash).in_(pair_part),
                    )
                )
                known_pairs.update((row.canonical_link, row.title_hash) for row in rows)
        fresh: list[StoredEntry] = []
        for entry in entries:
            if entry.key in known_keys or (entry.canonical_link, entry.title_hash) in known_pairs:
                continue
            known_keys.add(entry.key)  # the same entry twice in one feed counts once
            fresh.append(entry)
        return fresh

    @retries_transient
    def save_poll(
        self,
        source_id: int,
        success: PollSuccess,
        entries: Sequence[StoredEntry],
        *,
        alert: bool,
        on_refused: RefusedItem | None = None,
        max_alerts: int | None = None,
    ) -> tuple[int, list[NewMatch]]:
        """Store new items (+ matches and outbox rows when `alert`), update the source and
        free its lease, in one transaction. Returns how many items were new, and the matches.

        An item the database refuses (a value it cannot hold) is skipped, and reported to
        `on_refused` with a description free of SQL and values; the others are stored. Each
        chat gets at most `max_alerts` alerts of this poll (bot.storage.bursts).
        """
        now = success.now
        by_key: dict[str, StoredEntry] = {}
        for entry in entries:
            by_key.setdefault(entry.key, entry)  # the first of a repeated key wins
        # Search documents are worked out before the transaction, which on SQLite holds the
        # one write lock: the analysis (about 0.1 ms an item) does not make other writers wait.
        docs = {key: document(entry.item) for key, entry in by_key.items()}
        with self._transaction() as conn:
            inserted = self._insert_items(conn, source_id, by_key, docs, now, on_refused)
            made: list[tuple[int, TopicScore, int | None]] = []
            if alert and inserted:
                made = self._insert_matches(conn, source_id, inserted, now, max_alerts)
            source_name = self._record_success(conn, source_id, success, new_items=bool(inserted))
        items = {item_id: entry.item for item_id, entry in inserted}
        matches = [
            NewMatch(
                item_id=item_id,
                score=score,
                title=items[item_id].title,
                link=items[item_id].link,
                source_name=source_name,
                duplicate_of=original,
            )
            for item_id, score, original in made
        ]
        return len(inserted), matches

    @retries_transient
    def save_unchanged(self, polls: Sequence[tuple[int, PollSuccess]]) -> None:
        """Record polls that brought nothing new (304, an identical body), as `save_poll` with
        no entries would, all in one transaction (see bot/services/group_commit.py)."""
        with self._transaction() as conn:
            for source_id, success in polls:
                self._record_success(conn, source_id, success, new_items=False)

    def _insert_items(
        self,
        conn: Connection,
        source_id: int,
        by_key: Mapping[str, StoredEntry],
        docs: Mapping[str, str],
        now: datetime,
        on_refused: RefusedItem | None,
    ) -> list[tuple[int, StoredEntry]]:
        if not by_key:
            return []
        inserted = self._insert_rows(conn, source_id, by_key, docs, now, on_refused)
        index_items(conn, [item_id for item_id, _ in inserted])
        return inserted

    def _insert_rows(
        self,
        conn: Connection,
        source_id: int,
        by_key: Mapping[str, StoredEntry],
        docs: Mapping[str, str],
        now: datetime,
        on_refused: RefusedItem | None,
    ) -> list[tuple[int, StoredEntry]]:
        stmt = self._insert_ignoring(ITEM, ["source_id", "key"]).returning(ITEM.c.id, ITEM.c.key)
        # One statement for the whole poll; when the database refuses it, each item again in a
        # savepoint of its own, so that one bad item costs only itself.
        try:
            with conn.begin_nested():
                rows = conn.execute(
                    stmt, [_item_row(source_id, e, now, docs[k]) for k, e in by_key.items()]
                ).all()
            return [(row.id, by_key[row.key]) for row in rows]
        except _REFUSALS as exc:
            if is_transient(exc):
                raise
        inserted: list[tuple[int, StoredEntry]] = []
        for entry in by_key.values():
            try:
                with conn.begin_nested():
                    row = _item_row(source_id, entry, now, docs[entry.key])
                    rows = conn.execute(stmt, [row]).all()
            except _REFUSALS as exc:
                if is_transient(exc):
                    raise
                if on_refused is not None:
                    on_refused(entry, describe_refusal(exc))
                continue
            inserted.extend((row.id, entry) for row in rows)
        return inserted

    def _insert_matches(
        self,
        conn: Connection,
        source_id: int,
        inserted: Sequence[tuple[int, StoredEntry]],
        now: datetime,
        max_alerts: int | None = None,
    ) -> list[tuple[int, TopicScore, int | None]]:
        """Insert the matches and their outbox rows; returns (item id, score, the earlier item
        it repeats or None) per match made."""
        scores: dict[tuple[int, str], TopicScore] = {}
        for item_id, entry in inserted:
            for score in entry.matches:
                if score.matched:
                    scores.setdefault((item_id, score.topic), score)
        if not scores:
            return []
        stmt = self._insert_ignoring(MATCH, ["item_id", "topic"]).returning(
            MATCH.c.id, MATCH.c.item_id, MATCH.c.topic
        )
        rows = conn.execute(
            stmt, [_match_row(item_id, score, now) for (item_id, _), score in scores.items()]
        ).all()
        insert_actors(conn, ((row.id, scores[row.item_id, row.topic].actors) for row in rows))
        entries = dict(inserted)
        links = link_stories(
            conn,
            source_id,
            [
                NewMatchRow(
                    match_id=row.id,
                    item_id=row.item_id,
                    topic=row.topic,
                    title=entries[row.item_id].item.title,
                    summary=entries[row.item_id].item.summary,
                    content=entries[row.item_id].item.content,
                    fingerprinted=entries[row.item_id].fingerprint is not None,
                )
                for row in rows
            ],
            now,
        )
        fresh = [(row.id, scores[row.item_id, row.topic]) for row in rows if row.id not in links]
        alerts = self._fan_out(conn, source_id, fresh, now)
        repeats = [row for row in rows if row.id in links]
        if repeats:
            alerts += self._fan_out_repeats(conn, source_id, repeats, scores, links, now)
        if alerts:
            ranks = {row.id: scores[row.item_id, row.topic].score for row in rows}
            limited = limit_burst(alerts, cap=max_alerts, scores=ranks)
            conn.execute(self._insert_ignoring(OUTBOX, ["match_id", "chat_id"]), limited)
        made = [
            (
                row.item_id,
                scores[row.item_id, row.topic],
                links[row.id].original_item_id if row.id in links else None,
            )
            for row in rows
        ]
        return sorted(made, key=lambda made: (made[0], made[1].topic))

    def _fan_out_repeats(
        self,
        conn: Connection,
        source_id: int,
        repeats: Sequence[AnyRow],
        scores: Mapping[tuple[int, str], TopicScore],
        links: Mapping[int, StoryLink],
        now: datetime,
    ) -> list[dict[str, Any]]:
        """Matches that repeat a story: chats that had the story get its alert edited to list
        this source (when it is new to the story); chats that did not still get an alert
        (returned, to be inserted with the poll's other alerts)."""
        had: dict[int, set[int]] = {}
        edits: list[dict[str, Any]] = []
        for row in repeats:
            story = links[row.id].story_id
            alerts = story_alerts(conn, story, row.topic)
            had[row.id] = {alert.chat_id for alert in alerts}
            if source_id not in story_source_ids(conn, story, besides=row.item_id):
                edits.extend(edit_rows(alerts, row.id, now))
        matches = [(row.id, scores[row.item_id, row.topic]) for row in repeats]
        if edits:
            conn.execute(self._insert_ignoring(OUTBOX, ["match_id", "chat_id"]), edits)
        return self._fan_out(conn, source_id, matches, now, skip=had)

    def _fan_out(
        self,
        conn: Connection,
        source_id: int,
        matches: Sequence[tuple[int, TopicScore]],
        now: datetime,
        *,
        skip: Mapping[int, set[int]] | None = None,
    ) -> list[dict[str, Any]]:
        """One outbox row per match and active chat subscribed to its topic that wants it
        (less the chats in `skip[match id]`, which have the match's story already)."""
        if not matches:
            return []
        skip = skip or {}
        topics = sorted({score.topic for _, score in matches})
        c, sub = CHAT.c, SUBSCRIPTION.c
        subs = conn.execute(
            select(
                sub.chat_id,
                sub.topic,
                sub.message_thread_id,
                c.threshold,
                c.muted_sources,
                c.muted_until,
                c.digest,
                c.places,
            )
            .join(CHAT, c.id == sub.chat_id)
            .where(c.active.is_(True), sub.topic.in_(topics))
        ).all()
        return [
            _outbox_row(subscriber, match_id, now)
            for match_id, score in matches
            for subscriber in subs
            if subscriber.topic == score.topic
            and _wants(subscriber, source_id, score.score)
            and chat_wants(subscriber.places, score.actors)
            and subscriber.chat_id not in skip.get(match_id, ())
        ]

    def _record_success(
        self, conn: Connection, source_id: int, success: PollSuccess, *, new_items: bool
    ) -> str:
        """Update the source after a good poll and free its lease; returns the source's name.

        `health_reported` is left alone: the source health job clears it when it tells the
        admins the source recovered.
        """
        values: dict[str, Any] = {
            "last_polled_at": success.now,
            "last_success_at": success.now,
            "next_poll_at": success.next_poll_at,
            "consecutive_failures": 0,
            "last_error": None,
            "last_error_kind": None,
            "last_warning": success.warning,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        # A 304 usually omits the validators; keep the ones we have.
        if success.etag is not None:
            values["etag"] = success.etag
        if success.last_modified is not None:
            values["last_modified"] = success.last_modified
        if success.new_url:
            values["url"] = success.new_url
        if success.body_hash is not None:
            values["body_hash"] = success.body_hash
        if new_items:
            values["last_new_item_at"] = success.now
        stmt = update(SOURCE).where(SOURCE.c.id == source_id).values(**values)
        name: str = conn.execute(stmt.returning(SOURCE.c.name)).scalar_one()
        return name

    @retries_transient
    def prune_unmatched_items(self, older_than: datetime) -> int:
        """Delete items fetched before `older_than` that matched no topic and that nobody
        reported as missed (a report is training data); returns how many.

        Pick an age longer than any feed keeps items, or a pruned item could come back as new.
        """
        i = ITEM.c
        stmt = delete(ITEM).where(
            i.fetched_at < older_than,
            ~exists().where(MATCH.c.item_id == i.id),
            ~exists().where(MISS_REPORT.c.item_id == i.id),
        )
        with self._transaction() as conn:
            return conn.execute(stmt).rowcount
