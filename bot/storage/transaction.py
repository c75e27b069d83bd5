"""What every part of the store shares: the engine, one transaction per call, dialect inserts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Connection, Engine, Row, Table
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.engine import READ_ONLY, is_postgres

T = TypeVar("T")

# A result row of any shape (SQLAlchemy 2.1 types rows by their column types).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

# Stay well under SQLite's and PostgreSQL's bound-parameter limits in `IN (...)` lists.
CHUNK = 500


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class StoreBase:
    """Holds the engine; each public store method runs in one transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = is_postgres(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        # On SQLite the engine opens it with BEGIN IMMEDIATE (see engine.py): one writer at once.
        with self._engine.begin() as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A transaction that only reads: on SQLite it takes no write lock (plain BEGIN)."""
        with self._engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})
            with connection.begin():
                yield connection

    def _insert_ignoring(
        self, table: Table, conflict: Sequence[str]
    ) -> postgresql.Insert | sqlite.Insert:
        """INSERT ... ON CONFLICT (conflict) DO NOTHING, so racing writers neither fail nor
        duplicate; with RETURNING it yields only the rows this statement inserted."""
        if self._postgres:
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict))

    def _insert_if_new(
        self, conn: Connection, table: Table, conflict: Sequence[str], row: dict[str, Any]
    ) -> bool:
        """Insert one row unless it conflicts; whether it was inserted (RETURNING tells, as
        rowcount of ON CONFLICT DO NOTHING differs between drivers)."""
        key = next(iter(table.primary_key.columns))
        stmt = self._insert_ignoring(table, conflict).values(**row).returning(key)
        return conn.execute(stmt).first() is not None
