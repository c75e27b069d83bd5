"""Stored history read back for judging topics: items for `backtest`, feedback for `eval`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from bot.core.models import Item
from bot.matching.backtest import StoredVerdict
from bot.storage.tables import FEEDBACK, ITEM, MATCH

CHUNK = 1000


def stored_verdicts(engine: Engine, *, since: datetime) -> Iterator[StoredVerdict]:
    """Items fetched since `since`, oldest first, each with the topics it matched then."""
    i = ITEM.c
    last_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(i.id, i.key, i.title, i.link, i.summary, i.content, i.published, i.lang)
                .where(i.fetched_at >= since, i.id > last_id)
                .order_by(i.id)
                .limit(CHUNK)
            ).all()
            if not rows:
                return
            ids = [row.id for row in rows]
            matched: dict[int, set[str]] = {}
            for item_id, topic in conn.execute(
                select(MATCH.c.item_id, MATCH.c.topic).where(MATCH.c.item_id.in_(ids))
            ):
                matched.setdefault(item_id, set()).add(topic)
        for row in rows:
            item = Item(
                title=row.title or "",
                link=row.link,
                summary=row.summary or "",
                content=row.content or "",
                published=row.published,
                lang=row.lang,
            )
            yield StoredVerdict(row.key, item, frozenset(matched.get(row.id, ())))
        last_id = rows[-1].id


@dataclass(frozen=True, slots=True)
class FeedbackTally:
    """Subscribers' verdicts on one topic's alerts: a match counts once, by majority."""

    topic: str
    relevant: int
    not_relevant: int
    votes: int

    @property
    def precision(self) -> float | None:
        judged = self.relevant + self.not_relevant
        return self.relevant / judged if judged else None


def feedback_by_topic(engine: Engine, *, since: datetime | None = None) -> list[FeedbackTally]:
    """Per topic, how many judged matches subscribers found relevant (ties count as not)."""
    f, m = FEEDBACK.c, MATCH.c
    query = select(m.topic, f.match_id, f.verdict).join(MATCH, m.id == f.match_id)
    if since is not None:
        query = query.where(f.created_at >= since)
    votes: dict[str, dict[int, list[str]]] = {}
    with engine.connect() as conn:
        for topic, match_id, verdict in conn.execute(query):
            votes.setdefault(topic, {}).setdefault(match_id, []).append(verdict)
    tallies = []
    for topic, by_match in sorted(votes.items()):
        relevant = sum(
            1 for v in by_match.values() if v.count("relevant") > v.count("not_relevant")
        )
        tallies.append(
            FeedbackTally(
                topic=topic,
                relevant=relevant,
                not_relevant=len(by_match) - relevant,
                votes=sum(len(v) for v in by_match.values()),
            )
        )
    return tallies


@dataclass(frozen=True, slots=True)
class JudgedItem:
    """A matched item with subscribers' majority verdict on it (ties count as not relevant)."""

    match_id: int
    topic: str
    item: Item
    relevant: bool


def judged_items(engine: Engine, *, topic: str | None = None) -> list[JudgedItem]:
    """Every matched item subscribers judged, with its text, for `tune --feedback`."""
    f, m, i = FEEDBACK.c, MATCH.c, ITEM.c
    query = (
        select(m.id, m.topic, f.verdict, i.title, i.link, i.summary, i.content, i.lang)
        .join(MATCH, m.id == f.match_id)
        .join(ITEM, i.id == m.item_id)
        .order_by(m.id)
    )
    if topic is not None:
        query = query.where(m.topic == topic)
    found: dict[int, tuple[str, Item, list[str]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            if row.id not in found:
                item = Item(
                    title=row.title or "",
                    link=row.link,
                    summary=row.summary or "",
                    content=row.content or "",
                    lang=row.lang,
                )
                found[row.id] = (row.topic, item, [])
            found[row.id][2].append(row.verdict)
    return [
        JudgedItem(match_id, name, item, v.count("relevant") > v.count("not_relevant"))
        for match_id, (name, item, v) in found.items()
    ]
