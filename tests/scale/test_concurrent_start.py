"""Processes starting together on one PostgreSQL database sync the same config without failing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from bot.storage import SourceSpec, Store, open_store

pytestmark = pytest.mark.postgres

PROCESSES = 4
SOURCES = 200


def test_simultaneous_config_syncs_all_succeed(postgres_url: str) -> None:
    """Several stores syncing the same new sources at once all succeed and each source exists
    once (before the fix the losers died on the unique source name)."""
    specs = [
        SourceSpec(name=f"feed {i}", url=f"http://127.0.0.1:9/{i}.xml") for i in range(SOURCES)
    ]
    stores = [open_store(postgres_url) for _ in range(PROCESSES)]
    start = threading.Barrier(PROCESSES)
    errors: list[BaseException] = []

    def sync(store: Store) -> None:
        start.wait()
        try:
            store.sync_config_sources(specs, now=datetime.now(UTC))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        names = [health.name for health in stores[0].source_health()]
        assert sorted(names) == sorted(spec.name for spec in specs)
    finally:
        for store in stores:
            store.close()
