"""Read-only queries for exports: matches with their item and sources, sources with health."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from bot.core.export import ExportRow
from bot.core.models import EntityHit, HtmlSelectors, TermHit
from bot.storage.actors import acting_in
from bot.storage.retry import retries_transient
from bot.storage.tables import ITEM, MATCH, SOURCE
from bot.storage.transaction import AnyRow

# Rows per query: memory stays flat however large the table, and no transaction stays open
# (on SQLite each one holds the write lock, see engine.py) while the caller writes output.
EXPORT_CHUNK = 500

m, i, s = MATCH.c, ITEM.c, SOURCE.c


@dataclass(frozen=True, slots=True)
class SourceListing:
    """A source as `narcowatch sources list` and the OPML export show it."""

    id: int
    name: str
    url: str
    origin: str
    type: str
    interval_s: float
    topics: tuple[str, ...] | None
    selectors: HtmlSelectors | None
    enabled: bool
    paused: bool
    disabled_reason: str | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    config_url: str | None


def _listing(row: AnyRow) -> SourceListing:
    return SourceListing(
        id=row.id,
        name=row.name,
        url=row.url,
        origin=row.origin,
        type=row.type,
        interval_s=row.interval_s,
        topics=tuple(row.topics) if row.topics is not None else None,
        selectors=HtmlSelectors(**row.selectors) if row.selectors else None,
        enabled=row.enabled,
        paused=row.paused,
        disabled_reason=row.disabled_reason,
        last_success_at=row.last_success_at,
        consecutive_failures=row.consecutive_failures,
        last_error=row.last_error,
        config_url=row.config_url,
    )


@retries_transient
def list_sources(engine: Engine) -> list[SourceListing]:
    """Every source, enabled or not, by id."""
    with engine.connect() as conn:
        rows = conn.execute(select(SOURCE).order_by(s.id)).all()
    return [_listing(row) for row in rows]


def _terms(values: Sequence[dict[str, Any]] | None) -> tuple[TermHit, ...]:
    return tuple(
        TermHit(term=str(v.get("term", "")), group=str(v.get("group", "")), count=int(v["count"]))
        for v in values or ()
    )


def _entities(values: Sequence[dict[str, Any]] | None) -> tuple[EntityHit, ...]:
    return tuple(
        EntityHit(name=str(v.get("name", "")), type=str(v.get("type", ""))) for v in values or ()
    )


@retries_transient
def _match_chunk(
    engine: Engine,
    *,
    after_id: int,
    topic: str | None,
    since: datetime | None,
    min_score: float | None,
    places: Collection[str] | None = None,
    limit: int,
) -> list[ExportRow]:
    wanted = [m.id > after_id]
    if places is not None:
        wanted.append(acting_in(places))
    if topic is not None:
        wanted.append(m.topic == topic)
    if since is not None:
        wanted.append(m.created_at >= since)
    if min_score is not None:
        wanted.append(m.score >= min_score)
    query = (
        select(
            m.id,
            m.topic,
            m.score,
            m.terms,
            m.entities,
            m.reasons,
            m.actors,
            m.created_at,
            i.title,
            i.link,
            i.published,
            i.story_id,
            s.name.label("source_name"),
        )
        .select_from(MATCH.join(ITEM, i.id == m.item_id).join(SOURCE, s.id == i.source_id))
        .where(*wanted)
        .order_by(m.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        stories = sorted({row.story_id for row in rows if row.story_id is not None})
        # The same story carried by several sources is one alert listing them all.
        carried: dict[int, set[str]] = defaultdict(set)
        if stories:
            pairs = conn.execute(
                select(i.story_id, s.name)
                .select_from(ITEM.join(SOURCE, s.id == i.source_id))
                .where(i.story_id.in_(stories))
                .distinct()
            )
            for story_id, name in pairs:
                carried[story_id].add(name)
    return [
        ExportRow(
            match_id=row.id,
            topic=row.topic,
            score=row.score,
            terms=_terms(row.terms),
            entities=_entities(row.entities),
            reasons=tuple(str(r) for r in row.reasons or ()),
            title=row.title,
            link=row.link,
            published=row.published,
            sources=(
                row.source_name,
                *sorted(carried.get(row.story_id, set()) - {row.source_name}),
            ),
            matched_at=row.created_at,
            actors=tuple(str(actor) for actor in row.actors or ()),
        )
        for row in rows
    ]


def iter_matches(
    engine: Engine,
    *,
    topic: str | None = None,
    since: datetime | None = None,
    min_score: float | None = None,
    places: Collection[str] | None = None,
    chunk: int = EXPORT_CHUNK,
) -> Iterator[ExportRow]:
    """Stored matches in id order, filtered by topic, match time (>= since), score
    (>= min_score) and acting countries (one in `places`, ISO codes), fetched `chunk` rows at
    a time by keyset pagination."""
    after_id = 0
    while True:
        rows = _match_chunk(
            engine,
            after_id=after_id,
            topic=topic,
            since=since,
            min_score=min_score,
            places=places,
            limit=chunk,
        )
        yield from rows
        if len(rows) < chunk:
            return
        after_id = rows[-1].match_id
