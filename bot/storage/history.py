"""Stored history read back for judging topics: items for `backtest`; subscribers' verdicts
and reported misses for `eval`, `tune` and `train`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from bot.core.models import Item
from bot.matching.backtest import StoredVerdict
from bot.storage.records import item_of
from bot.storage.tables import FEEDBACK, ITEM, MATCH, MISS_REPORT

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
            yield StoredVerdict(row.key, item_of(row), frozenset(matched.get(row.id, ())))
        last_id = rows[-1].id


@dataclass(frozen=True, slots=True)
class FeedbackTally:
    """Subscribers' verdicts on one topic's alerts (a match counts once, by majority), and the
    items they reported as missed."""

    topic: str
    relevant: int
    not_relevant: int
    votes: int
    missed: int = 0
    """Stored items reported (`/missed`) as about the topic though they did not match it."""

    @property
    def precision(self) -> float | None:
        judged = self.relevant + self.not_relevant
        return self.relevant / judged if judged else None


def feedback_by_topic(
    engine: Engine, *, since: datetime | None = None, topic: str | None = None
) -> list[FeedbackTally]:
    """Per topic (or for `topic` alone), how many judged matches subscribers found relevant
    (ties count as not), and how many items they reported missed."""
    f, m, r = FEEDBACK.c, MATCH.c, MISS_REPORT.c
    query = select(m.topic, f.match_id, f.verdict).join(MATCH, m.id == f.match_id)
    reports = select(r.topic, r.item_id)
    if topic is not None:
        query = query.where(m.topic == topic)
        reports = reports.where(r.topic == topic)
    if since is not None:
        query = query.where(f.created_at >= since)
        reports = reports.where(r.created_at >= since)
    votes: dict[str, dict[int, list[str]]] = {}
    missed: dict[str, set[int]] = {}
    with engine.connect() as conn:
        for topic, match_id, verdict in conn.execute(query):
            votes.setdefault(topic, {}).setdefault(match_id, []).append(verdict)
        for topic, item_id in conn.execute(reports):
            missed.setdefault(topic, set()).add(item_id)
    tallies = []
    for topic in sorted(votes.keys() | missed.keys()):
        by_match = votes.get(topic, {})
        relevant = sum(
            1 for v in by_match.values() if v.count("relevant") > v.count("not_relevant")
        )
        tallies.append(
            FeedbackTally(
                topic=topic,
                relevant=relevant,
                not_relevant=len(by_match) - relevant,
                votes=sum(len(v) for v in by_match.values()),
                missed=len(missed.get(topic, ())),
            )
        )
    return tallies


def feedback_since_training(
    engine: Engine, trained: Mapping[str, datetime]
) -> dict[str, FeedbackTally]:
    """For each topic in `trained` (topic -> when its text model was trained), the verdicts
    and reported misses that came since: what the next `train --feedback` would add."""
    found: dict[str, FeedbackTally] = {}
    for topic, at in trained.items():
        tallies = feedback_by_topic(engine, since=at, topic=topic)
        found[topic] = tallies[0] if tallies else FeedbackTally(topic, 0, 0, 0)
    return found


@dataclass(frozen=True, slots=True)
class JudgedItem:
    """A stored item with subscribers' verdict on it for one topic: the majority verdict on
    its alert (ties count as not relevant), or relevant when reported missed."""

    key: str
    """"match:ID" for a judged alert, "missed:ID" (the item's id) for a reported miss."""
    topic: str
    item: Item
    relevant: bool


def judged_items(
    engine: Engine, *, topic: str | None = None, since: datetime | None = None
) -> list[JudgedItem]:
    """Every matched item subscribers judged and every item they reported missed (with
    `since`: by the verdicts and reports given since then), with its text, for
    `tune --feedback` and `train --feedback`."""
    f, m, i, r = FEEDBACK.c, MATCH.c, ITEM.c, MISS_REPORT.c
    text = (i.id.label("item_id"), i.title, i.link, i.summary, i.content, i.lang)
    query = (
        select(m.id, m.topic, f.verdict, *text)
        .join(MATCH, m.id == f.match_id)
        .join(ITEM, i.id == m.item_id)
        .order_by(m.id)
    )
    reports = select(r.topic, *text).join(ITEM, i.id == r.item_id).order_by(r.item_id, r.topic)
    if topic is not None:
        query = query.where(m.topic == topic)
        reports = reports.where(r.topic == topic)
    if since is not None:
        query = query.where(f.created_at >= since)
        reports = reports.where(r.created_at >= since)
    found: dict[int, tuple[str, Item, list[str]]] = {}
    judged_pairs: set[tuple[int, str]] = set()
    with engine.connect() as conn:
        for row in conn.execute(query):
            if row.id not in found:
                found[row.id] = (row.topic, item_of(row), [])
                judged_pairs.add((row.item_id, row.topic))
            found[row.id][2].append(row.verdict)
        missed: dict[tuple[int, str], Item] = {}
        for report in conn.execute(reports):
            missed.setdefault((report.item_id, report.topic), item_of(report))
    judged = [
        JudgedItem(f"match:{match_id}", name, item, v.count("relevant") > v.count("not_relevant"))
        for match_id, (name, item, v) in found.items()
    ]
    # An item that matched the topic after all (scored again since) is judged by its alert.
    judged += [
        JudgedItem(f"missed:{item_id}", name, item, True)
        for (item_id, name), item in missed.items()
        if (item_id, name) not in judged_pairs
    ]
    return judged
