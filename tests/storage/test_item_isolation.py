"""One item the database refuses costs only itself: the rest of the poll is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select

from bot.core.identity import link_index_value
from bot.core.models import Item
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import Store
from bot.storage.tables import ITEM


def broken(item: Item) -> Item:
    return replace(item, summary="broken \ud800 summary")


def stored_keys(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(ITEM.c.key)).scalars())


def test_a_refused_item_is_skipped_and_reported(
    store: Store,
    source_id: int,
    now: datetime,
    entry: Callable[..., StoredEntry],
    ok: Callable[..., PollSuccess],
) -> None:
    """A lone surrogate (no database stores it) refuses one item; the others are stored."""
    good = entry("bad")
    bad = StoredEntry(good.key, good.canonical_link, good.title_hash, broken(good.item))
    refused: list[tuple[str, str]] = []
    new, _ = store.save_poll(
        source_id,
        ok(now),
        [entry("a"), bad, entry("b")],
        alert=False,
        on_refused=lambda e, why: refused.append((e.key, why)),
    )
    assert new == 2
    assert stored_keys(store) == ["a", "b"]
    assert [key for key, _ in refused] == ["bad"]
    why = refused[0][1]
    assert "INSERT" not in why.upper()
    assert "broken" not in why
    assert store.source_health()[0].last_success_at == now


def test_a_nul_refused_by_postgres_costs_only_its_item(
    store: Store,
    source_id: int,
    now: datetime,
    entry: Callable[..., StoredEntry],
    ok: Callable[..., PollSuccess],
) -> None:
    """U+0000 in a summary (PostgreSQL refuses it): the rest of the poll is stored anyway."""
    nul = entry("nul", title="with \x00 NUL")
    refused: list[str] = []
    store.save_poll(
        source_id,
        ok(now),
        [entry("a"), nul, entry("b")],
        alert=False,
        on_refused=lambda e, why: refused.append(e.key),
    )
    assert {"a", "b"} <= set(stored_keys(store))
    postgres = store.engine.dialect.name == "postgresql"
    assert refused == (["nul"] if postgres else [])  # SQLite stores NUL, PostgreSQL does not


def test_a_link_too_long_for_the_index_is_stored_by_hash(
    store: Store,
    source_id: int,
    now: datetime,
    entry: Callable[..., StoredEntry],
    ok: Callable[..., PollSuccess],
) -> None:
    """A 3 KB canonical link (past PostgreSQL's btree row limit) is indexed by its hash."""
    long_link = "https://news.example/" + "x" * 3000
    bounded = link_index_value(long_link)
    assert bounded.startswith("sha256:")
    assert len(bounded) < 100
    item = entry("long", link=long_link)
    item = StoredEntry(item.key, bounded, item.title_hash, item.item)
    new, _ = store.save_poll(source_id, ok(now), [item, entry("a")], alert=False)
    assert new == 2
    assert store.filter_new(source_id, [item]) == []
    with store.engine.connect() as conn:
        (link,) = conn.execute(select(ITEM.c.link).where(ITEM.c.key == "long")).scalars()
        assert link == long_link
        assert conn.execute(select(func.count()).select_from(ITEM)).scalar_one() == 2
