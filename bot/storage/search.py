"""Searching stored items through the full-text index the migrations build (0007).

The index holds `item.search_text`, the item's words as bot.search.analyze makes them (the
store writes it with the item), and each database keeps it in step by itself:

- SQLite: the FTS5 table `item_search` (unicode61 tokens, external content: it holds only the
  index) and the triggers `item_search_insert`, `item_search_update` and `item_search_delete`
  on `item`. A later migration that rebuilds `item` (batch mode) drops those triggers and
  must create them again.
- PostgreSQL: the generated column `item.search_vector`, `to_tsvector('simple', search_text)`,
  in the GIN index `ix_item_search_vector`. Built in, so no extension is needed.

Documents are already analysed, so both split them only on spaces, and a query is built from
the same tokens (bot.search.query): a term is a phrase of consecutive tokens, terms are ANDed.
Newest first reads the index in descending item id (order of storing), so a query that
matches half the archive still stops after `limit` hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)

from bot.search.hits import SearchHit, TopicMatch
from bot.search.query import Query, SearchRequest
from bot.storage.retry import retries_transient
from bot.storage.tables import ITEM, MATCH, SOURCE
from bot.storage.transaction import AnyRow, StoreBase

FTS_TABLE = "item_search"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_item_search_vector"

i, m, s = ITEM.c, MATCH.c, SOURCE.c
_FTS = table(FTS_TABLE, column("rowid"), column("rank"))
_VECTOR: ColumnElement[Any] = literal_column(f"item.{VECTOR_COLUMN}")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: False for the search index's tables, column and index, which the
    migrations make by hand (tables.py cannot describe an FTS5 table or a generated tsvector)."""
    if name is None:
        return True
    if type_ == "table":
        return name != FTS_TABLE and not name.startswith(f"{FTS_TABLE}_")
    if type_ == "column":
        return name != VECTOR_COLUMN
    if type_ == "index":
        return name != VECTOR_INDEX
    return True


def fts5_match(query: Query) -> str:
    """The FTS5 query: each term a phrase (`"a" + "b" *`), terms joined by AND."""
    phrases = (
        " + ".join(
            '"' + token.text.replace('"', '""') + '"' + (" *" if token.prefix else "")
            for token in term.tokens
        )
        for term in query.terms
    )
    return " AND ".join(f"({phrase})" for phrase in phrases)


def tsquery(query: Query) -> str:
    """The PostgreSQL tsquery text: each term a phrase (`'a' <-> 'b':*`), terms joined by &."""
    phrases = (
        " <-> ".join(
            "'"
            + token.text.replace("\\", "\\\\").replace("'", "''")
            + "'"
            + (":*" if token.prefix else "")
            for token in term.tokens
        )
        for term in query.terms
    )
    return " & ".join(f"({phrase})" for phrase in phrases)


class SearchQueries(StoreBase):
    """Full-text search of the stored items, matched or not."""

    @retries_transient
    def search_items(self, request: SearchRequest) -> list[SearchHit]:
        """Items containing every term, newest first (by when they were stored) or best first
        (by the index's relevance: BM25 on SQLite, ts_rank_cd on PostgreSQL)."""
        with self._reading() as conn:
            floor = None
            if request.since is not None:
                # Ids grow as items are stored: the first item stored since then bounds the
                # index scan, which a date condition alone could not do.
                floor = conn.execute(
                    select(i.id)
                    .where(i.fetched_at >= request.since)
                    .order_by(i.fetched_at, i.id)
                    .limit(1)
                ).scalar()
                if floor is None:
                    return []
            stmt = self._statement(request, floor)
            rows = conn.execute(stmt).all()
            matches = self._matches(conn, [row.id for row in rows])
        return [_hit(row, matches.get(row.id, ())) for row in rows]

    def _statement(self, request: SearchRequest, floor: int | None) -> Select[Any]:
        columns = (
            i.id,
            i.title,
            i.link,
            i.published,
            i.fetched_at,
            i.source_id,
            s.name.label("source"),
        )
        if self._postgres:
            query = func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(request.query))
            stmt = (
                select(*columns)
                .select_from(ITEM.join(SOURCE, s.id == i.source_id))
                .where(_VECTOR.op("@@")(query))
            )
            key: ColumnElement[Any] = i.id
            best: ColumnElement[Any] = func.ts_rank_cd(_VECTOR, query).desc()
        else:
            stmt = (
                select(*columns)
                .select_from(
                    _FTS.join(ITEM, i.id == _FTS.c.rowid).join(SOURCE, s.id == i.source_id)
                )
                .where(
                    text(f"{FTS_TABLE} MATCH :match").bindparams(match=fts5_match(request.query))
                )
            )
            key = _FTS.c.rowid
            best = _FTS.c.rank
        if floor is not None and request.since is not None:
            stmt = stmt.where(
                key >= floor, func.coalesce(i.published, i.fetched_at) >= request.since
            )
        if request.topic is not None:
            stmt = stmt.where(exists().where(m.item_id == i.id, m.topic == request.topic))
        if request.exclude_sources:
            stmt = stmt.where(i.source_id.not_in(request.exclude_sources))
        order = [key.desc()] if request.order == "newest" else [best, key.desc()]
        return stmt.order_by(*order).limit(request.limit)

    def _matches(self, conn: Connection, ids: Sequence[int]) -> dict[int, list[TopicMatch]]:
        found: dict[int, list[TopicMatch]] = {}
        if not ids:
            return found
        rows = conn.execute(
            select(m.item_id, m.topic, m.score)
            .where(m.item_id.in_(ids))
            .order_by(m.score.desc(), m.topic)
        )
        for row in rows:
            found.setdefault(row.item_id, []).append(TopicMatch(row.topic, row.score))
        return found


def _hit(row: AnyRow, matches: Sequence[TopicMatch]) -> SearchHit:
    return SearchHit(
        item_id=row.id,
        title=row.title,
        link=row.link,
        source=row.source,
        source_id=row.source_id,
        published=row.published,
        fetched_at=row.fetched_at,
        matches=tuple(matches),
    )
