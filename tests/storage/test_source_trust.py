"""Source trust on the row: config and CLI-imported sources may reach private addresses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text

from bot.storage import SourceSpec, Store, create_engine_for
from bot.storage.migrate import upgrade_engine
from bot.storage.tables import SOURCE
from tests.support.cli import run_cli, write_config


def trust(store: Store) -> dict[str, bool]:
    with store.engine.connect() as conn:
        return {row.name: row.trusted for row in conn.execute(select(SOURCE))}


def test_trust_follows_where_a_source_came_from(store: Store, now: datetime) -> None:
    """Config rows are trusted, Telegram rows not, imports when asked; polls see the flag."""
    store.sync_config_sources([SourceSpec(name="config", url="https://c.example/")], now=now)
    store.add_source(SourceSpec(name="telegram", url="https://t.example/"), now=now)
    store.add_source(SourceSpec(name="imported", url="https://i.example/"), now=now, trusted=True)
    assert trust(store) == {"config": True, "telegram": False, "imported": True}
    claimed = store.claim_all_enabled(now=now, owner="t", lease_seconds=60)
    assert {s.name: s.trusted for s in claimed} == trust(store)


def test_a_telegram_source_named_in_the_config_becomes_trusted(store: Store, now: datetime) -> None:
    """When the operator writes a Telegram source into the config file, it is theirs."""
    store.add_source(SourceSpec(name="wire", url="https://w.example/"), now=now)
    store.sync_config_sources([SourceSpec(name="wire", url="https://w.example/")], now=now)
    assert trust(store) == {"wire": True}


def test_migration_trusts_existing_config_sources_only(database_url: str, now: datetime) -> None:
    """Upgrading from 0002: config rows become trusted; other rows stay untrusted."""
    engine = create_engine_for(database_url)
    try:
        upgrade_engine(engine, revision="0002")
        with engine.begin() as conn:
            for name, origin in (("from config", "config"), ("from telegram", "telegram")):
                conn.execute(
                    text(
                        "INSERT INTO source (name, origin, url, type, interval_s, enabled, paused,"
                        " consecutive_failures, health_reported, created_at) VALUES (:name,"
                        " :origin, 'https://x.example/', 'feed', 60, :yes, :no, 0, :no, :now)"
                    ),
                    {"name": name, "origin": origin, "yes": True, "no": False, "now": now},
                )
        upgrade_engine(engine)
        with engine.connect() as conn:
            rows = {row.name: bool(row.trusted) for row in conn.execute(select(SOURCE))}
    finally:
        engine.dispose()
    assert rows == {"from config": True, "from telegram": False}


def test_cli_opml_import_adds_trusted_sources(tmp_path: Path) -> None:
    """`sources import` is the operator's act: its sources may be intranet feeds."""
    config = write_config(tmp_path, [])
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Intranet" type="rss" xmlUrl="http://10.0.0.5/feed.xml"/>'
        "</body></opml>"
    )
    result = run_cli("sources", "import", str(opml), "--config", str(config))
    assert result.returncode == 0, result.stderr
    engine = create_engine_for(f"sqlite:///{tmp_path / 'narcowatch.db'}")
    try:
        with engine.connect() as conn:
            (row,) = conn.execute(select(SOURCE.c.name, SOURCE.c.trusted)).all()
    finally:
        engine.dispose()
    assert (row.name, row.trusted) == ("Intranet", True)
