"""Briefing reads: a period's matched rows in one query, source activity, and chat schedules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select

from bot.briefing.model import MatchedRow, Period, SourceActivity
from bot.storage.records import BriefingSchedule
from bot.storage.retry import retries_transient
from bot.storage.tables import CHAT, ITEM, MATCH, SOURCE, SUBSCRIPTION
from bot.storage.transaction import AnyRow, StoreBase

i, m, s, c, sub = ITEM.c, MATCH.c, SOURCE.c, CHAT.c, SUBSCRIPTION.c


def matched_rows_query(period: Period, topics: Sequence[str] | None) -> Select[Any]:
    """The one query a briefing needs: its matches with item and source, no item text."""
    stmt = (
        select(
            m.item_id,
            i.story_id,
            m.topic,
            m.score,
            m.created_at,
            i.source_id,
            s.name,
            i.title,
            i.link,
            i.lang,
            m.terms,
            m.entities,
        )
        .select_from(MATCH)
        .join(ITEM, i.id == m.item_id)
        .join(SOURCE, s.id == i.source_id)
        .where(m.created_at >= period.start, m.created_at < period.end)
    )
    if topics is not None:
        stmt = stmt.where(m.topic.in_(list(topics)))
    return stmt


def _row(row: AnyRow) -> MatchedRow:
    return MatchedRow(
        item_id=row[0],
        story_id=row[1],
        topic=row[2],
        score=row[3],
        matched_at=row[4],
        source_id=row[5],
        source_name=row[6],
        title=row[7],
        link=row[8],
        lang=row[9],
        terms=tuple(str(term.get("term", "")) for term in row[10] or ()),
        entities=tuple((str(e.get("name", "")), str(e.get("type", ""))) for e in row[11] or ()),
    )


def _previous_count(period: Period, topics: Sequence[str] | None) -> Select[Any]:
    previous = period.previous()
    stmt = select(func.count(func.distinct(m.item_id))).where(
        m.created_at >= previous.start, m.created_at < previous.end
    )
    if topics is not None:
        stmt = stmt.where(m.topic.in_(list(topics)))
    return stmt


class BriefingQueries(StoreBase):
    """What briefings read: matched rows, the previous period's count, sources, schedules."""

    @retries_transient
    def briefing_rows(
        self, period: Period, topics: Sequence[str] | None
    ) -> tuple[list[MatchedRow], int]:
        """The period's matches of `topics` (None: all), and the previous period's item count."""
        with self._transaction() as conn:
            rows = [_row(row) for row in conn.execute(matched_rows_query(period, topics))]
            previous = int(conn.execute(_previous_count(period, topics)).scalar_one())
        return rows, previous

    @retries_transient
    def source_activity(self, period: Period, topics: Sequence[str] | None) -> list[SourceActivity]:
        """Every source with its matched items in the period and its health now."""
        counted = (
            select(i.source_id, func.count(func.distinct(m.item_id)).label("n"))
            .join(ITEM, i.id == m.item_id)
            .where(m.created_at >= period.start, m.created_at < period.end)
            .group_by(i.source_id)
        )
        if topics is not None:
            counted = counted.where(m.topic.in_(list(topics)))
        sub_q = counted.subquery()
        stmt = (
            select(
                s.name,
                func.coalesce(sub_q.c.n, 0),
                s.enabled,
                s.consecutive_failures,
                s.last_success_at,
                s.last_error,
            )
            .select_from(SOURCE)
            .outerjoin(sub_q, sub_q.c.source_id == s.id)
            .order_by(func.coalesce(sub_q.c.n, 0).desc(), s.name)
        )
        with self._transaction() as conn:
            rows = conn.execute(stmt).all()
        return [
            SourceActivity(
                name=row[0],
                matches=int(row[1]),
                enabled=bool(row[2]),
                failures=int(row[3]),
                last_success_at=row[4],
                last_error=row[5],
            )
            for row in rows
        ]

    @retries_transient
    def chat_topics(self, chat_id: int) -> list[str]:
        """The topics a chat follows, alphabetically."""
        stmt = select(sub.topic).where(sub.chat_id == chat_id).order_by(sub.topic)
        with self._transaction() as conn:
            return list(conn.execute(stmt).scalars())

    @retries_transient
    def set_briefing(
        self, chat_id: int, mode: str, *, day: int | None, minute: int | None, now: datetime
    ) -> bool:
        """Set a chat's briefing schedule; False when the chat is unknown."""
        values = {"briefing": mode, "briefing_day": day, "briefing_minute": minute}
        values["briefing_since"] = now if mode != "off" else None  # type: ignore[assignment]
        with self._transaction() as conn:
            done = conn.execute(CHAT.update().where(c.id == chat_id).values(**values))
        return bool(done.rowcount)

    @retries_transient
    def briefing_schedules(self, chat_id: int | None = None) -> list[BriefingSchedule]:
        """Active chats with a briefing on (or this one chat, whatever its setting)."""
        stmt = select(
            c.id,
            c.briefing,
            c.briefing_day,
            c.briefing_minute,
            c.briefing_since,
            c.timezone,
        )
        if chat_id is None:
            stmt = stmt.where(and_(c.briefing != "off", c.active.is_(True)))
        else:
            stmt = stmt.where(c.id == chat_id)
        with self._transaction() as conn:
            rows = conn.execute(stmt.order_by(c.id)).all()
        return [
            BriefingSchedule(
                chat_id=row[0],
                mode=row[1],
                day=row[2],
                minute=row[3],
                since=row[4],
                timezone=row[5],
            )
            for row in rows
        ]
