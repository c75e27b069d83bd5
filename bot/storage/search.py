"""Searching stored items through the full-text index the migrations build (0007).

The index holds `item.search_text`, the item's words as bot.search.analyze makes them (the
store writes it with the item), and each database keeps it in step by itself:

- SQLite: the FTS5 table `item_search` (unicode61 tokens, external content: it holds only the
  index). The store indexes the items it inserts, in the same transaction, with one statement
  (`index_items`): an FTS5 insert from a trigger costs ten times as much, as FTS5 writes out
  its pending index at the savepoint SQLite opens for each row's trigger. Deletes (pruning,
  a source's removal) and updates of search_text go through the triggers
  `item_search_delete` and `item_search_update`. A later migration that rebuilds `item`
  (batch mode) drops those triggers and must create them again.
- PostgreSQL: `item.search_text` is stored as its tsvector (`to_tsvector('simple', ...)`,
  bot.storage.tables.SearchDocument), in the GIN index `ix_item_search_text`. Built in, so
  no extension is needed, and the text itself is not kept twice.

Documents are already analysed, so both split them only on spaces, and a query is built from
the same tokens (bot.search.query): a term is a phrase of consecutive tokens, terms are ANDed.
Newest first reads the index in descending item id (order of storing), so a query that
matches half the archive still stops after `limit` hits; best first ranks the 2,000 newest
hits (RANK_WINDOW), so its cost is bounded too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)

from bot.core.models import Item
from bot.search.hits import SearchHit, TopicMatch
from bot.search.query import Query, SearchRequest
from bot.storage.records import item_of
from bot.storage.retry import retries_transient
from bot.storage.tables import ITEM, MATCH, SOURCE
from bot.storage.transaction import AnyRow, StoreBase, chunks

FTS_TABLE = "item_search"
GIN_INDEX = "ix_item_search_text"

RANK_WINDOW = 2000
"""Best first ranks this many of the newest items holding the words (see _statement)."""

i, m, s = ITEM.c, MATCH.c, SOURCE.c
_FTS = table(FTS_TABLE, column("rowid"), column("rank"))
_COLUMNS = (i.id, i.title, i.link, i.published, i.fetched_at, i.source_id, s.name.label("source"))


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: False for the search index's tables and index, which the migration
    makes by hand (tables.py cannot describe an FTS5 table, nor an index of one back end)."""
    if name is None:
        return True
    if type_ == "table":
        return name != FTS_TABLE and not name.startswith(f"{FTS_TABLE}_")
    if type_ == "index":
        return name != GIN_INDEX
    return True


def _join_from(postgres: bool) -> Any:
    """Item with its source; on SQLite reached from the FTS5 table, which drives the scan."""
    if postgres:
        return ITEM.join(SOURCE, s.id == i.source_id)
    return _FTS.join(ITEM, i.id == _FTS.c.rowid).join(SOURCE, s.id == i.source_id)


def _tsquery(query: Query) -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(query))


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


def index_items(conn: Connection, ids: Sequence[int]) -> None:
    """Add newly inserted items to the SQLite index (PostgreSQL's GIN index follows the
    column by itself); called by the store in the transaction that inserted them."""
    if conn.dialect.name != "sqlite":
        return
    for part in chunks(ids):
        conn.execute(
            text(
                f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
                "SELECT id, search_text FROM item WHERE id IN :ids"
            ).bindparams(bindparam("ids", list(part), expanding=True))
        )


class SearchQueries(StoreBase):
    """Full-text search of the stored items, matched or not."""

    @retries_transient
    def search_items(self, request: SearchRequest) -> list[SearchHit]:
        """Items containing every term, newest first (by when they were stored) or best first
        (the index's relevance, BM25 on SQLite, ts_rank_cd on PostgreSQL, among the
        RANK_WINDOW newest such items)."""
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

    @retries_transient
    def unmatched_items(
        self,
        *,
        topics: Sequence[str],
        since: datetime,
        exclude_sources: Sequence[int] = (),
        limit: int,
    ) -> list[tuple[SearchHit, Item]]:
        """The newest items stored since `since` that matched none of `topics`, each as a
        search hit (with the topics it did match) and with its text, for scoring again."""
        stmt = (
            select(*_COLUMNS, i.summary, i.content, i.lang)
            .join(SOURCE, s.id == i.source_id)
            .where(
                i.fetched_at >= since,
                ~exists().where(m.item_id == i.id, m.topic.in_(list(topics))),
            )
            .order_by(i.id.desc())
            .limit(limit)
        )
        if exclude_sources:
            stmt = stmt.where(i.source_id.not_in(list(exclude_sources)))
        with self._reading() as conn:
            rows = conn.execute(stmt).all()
            matches = self._matches(conn, [row.id for row in rows])
        return [(_hit(row, matches.get(row.id, ())), item_of(row)) for row in rows]

    def _statement(self, request: SearchRequest, floor: int | None) -> Select[Any]:
        """Newest first: the matching rows in descending id, `limit` of them. Best first: the
        RANK_WINDOW newest of those, ranked, so that the cost stays bounded however many
        items a word is in."""
        newest = self._matching(request, floor)
        if request.order == "newest":
            return newest.add_columns(*_COLUMNS).limit(request.limit)
        if self._postgres:
            query = _tsquery(request.query)
            window = newest.limit(RANK_WINDOW).subquery("window")
            relevance: ColumnElement[Any] = func.ts_rank_cd(i.search_text, query).desc()
        else:
            # FTS5 works out `rank` (BM25) only for the rows the window returns.
            window = newest.add_columns(_FTS.c.rank).limit(RANK_WINDOW).subquery("window")
            relevance = window.c.rank
        return (
            select(*_COLUMNS)
            .select_from(
                window.join(ITEM, i.id == window.c.item_id).join(SOURCE, s.id == i.source_id)
            )
            .order_by(relevance, i.id.desc())
            .limit(request.limit)
        )

    def _matching(self, request: SearchRequest, floor: int | None) -> Select[Any]:
        """Ids of the items that hold every term and pass the filters, newest first."""
        if self._postgres:
            key: ColumnElement[Any] = i.id
            stmt = select(i.id.label("item_id")).where(
                i.search_text.op("@@")(_tsquery(request.query))
            )
        else:
            key = _FTS.c.rowid
            match = text(f"{FTS_TABLE} MATCH :match").bindparams(match=fts5_match(request.query))
            stmt = select(_FTS.c.rowid.label("item_id")).where(match)
        stmt = stmt.select_from(_join_from(self._postgres))
        if floor is not None and request.since is not None:
            stmt = stmt.where(
                key >= floor, func.coalesce(i.published, i.fetched_at) >= request.since
            )
        if request.topic is not None:
            stmt = stmt.where(exists().where(m.item_id == i.id, m.topic == request.topic))
        if request.exclude_sources:
            stmt = stmt.where(i.source_id.not_in(request.exclude_sources))
        return stmt.order_by(key.desc())

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
