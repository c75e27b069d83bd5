"""Several real `narcowatch run` processes on one database, and what a test reads back from them."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from bot.storage import normalise_url
from tests.support.cli import cli_env, free_port, start_cli, write_config


@dataclass
class Instance:
    """One `narcowatch run` subprocess with its own health port and log files."""

    name: str
    process: subprocess.Popen[str]
    port: int
    logs: Path

    @property
    def stderr(self) -> Path:
        return self.logs.with_suffix(".stderr")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The JSON log lines written so far (only those for event `name` when given)."""
        if not self.stderr.exists():
            return []
        found = []
        for line in self.stderr.read_text(encoding="utf-8").splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if name is None or event.get("event") == name:
                found.append(event)
        return found

    def owner(self) -> str | None:
        """The lease owner id this process announced at start, once it did."""
        started = self.events("daemon.started")
        return str(started[0]["owner"]) if started else None

    async def polls(self) -> dict[str, float]:
        """This process's poll counters by result (ok, not_modified, failed) from /metrics."""
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5)
        counts: dict[str, float] = {}
        for line in response.text.splitlines():
            if line.startswith("narcowatch_polls_total{"):
                labels, value = line.rsplit(" ", 1)
                result = labels.split('result="', 1)[1].split('"', 1)[0]
                counts[result] = float(value)
        return counts

    def kill(self) -> None:
        """SIGKILL: no clean-up, leases stay behind."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait; the exit status (killed with SIGKILL when it does not stop)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def start_instance(
    workdir: Path,
    name: str,
    sources: Sequence[Mapping[str, Any]],
    *,
    database_url: str,
    polling: Mapping[str, Any],
    timers: Mapping[str, str] | None = None,
) -> Instance:
    """Write a config under workdir/name and start `narcowatch run` on it with JSON logs.

    The database goes in through $DATABASE_URL, as operators of a scaled-out set-up pass it;
    `timers` are NARCOWATCH_TUNE_* variables (tests.support.cli.tuned).
    """
    home = workdir / name
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(
        home,
        sources,
        database_url="sqlite:///unused-the-environment-wins.db",
        health_port=port,
        extra={"polling": dict(polling)},
    )
    env = cli_env(DATABASE_URL=database_url, NARCOWATCH_LOG_FORMAT="json", **(timers or {}))
    logs = home / "daemon"
    process = start_cli("run", "--config", str(config), env=env, output=logs)
    return Instance(name, process, port, logs)


async def wait_for(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool],
    *,
    deadline_s: float,
    what: str,
    every_s: float = 0.2,
) -> None:
    """Wait until `check()` is true; fail naming `what` after the deadline."""
    until = time.monotonic() + deadline_s
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > until:
            raise AssertionError(f"timed out after {deadline_s:g} s waiting for {what}")
        await asyncio.sleep(every_s)


async def healthy(instance: Instance) -> bool:
    """Whether the instance has logged its start and answers /healthz with 200 (fails at
    once if it exited)."""
    code = instance.process.poll()
    if code is not None:
        tail = instance.stderr.read_text(encoding="utf-8")[-3000:]
        raise AssertionError(f"{instance.name} exited with {code}:\n{tail}")
    if instance.owner() is None:
        # Not started yet, whatever answers on its port: another daemon given the same port
        # answered for one that then died on "address already in use" (seen in CI).
        return False
    try:
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.get(f"http://127.0.0.1:{instance.port}/healthz", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


class Database:
    """Read-only questions a test asks the shared database, over a short-lived engine."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(normalise_url(database_url), pool_pre_ping=True)

    def close(self) -> None:
        self.engine.dispose()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def items_per_source(self) -> dict[str, int]:
        """Stored items by source name (sources without items count 0)."""
        rows = self.rows(
            "SELECT s.name, count(i.id) FROM source s LEFT JOIN item i ON i.source_id = s.id "
            "GROUP BY s.name"
        )
        return {name: int(count) for name, count in rows}

    def duplicate_items(self) -> int:
        """(source, key) pairs stored more than once: must always be 0."""
        rows = self.rows(
            "SELECT source_id, key FROM item GROUP BY source_id, key HAVING count(*) > 1"
        )
        return len(rows)

    def duplicate_matches(self) -> int:
        """(item, topic) pairs matched more than once: must always be 0."""
        rows = self.rows(
            'SELECT item_id, topic FROM "match" GROUP BY item_id, topic HAVING count(*) > 1'
        )
        return len(rows)

    def polled(self) -> int:
        """Sources that had a good poll (0 while the daemon has not even created the tables)."""
        try:
            rows = self.rows("SELECT count(*) FROM source WHERE last_success_at IS NOT NULL")
        except DBAPIError:
            return 0
        return int(rows[0][0])


def feed_sources(urls: Sequence[str]) -> list[dict[str, str]]:
    """Config entries naming each URL `feed <i>`."""
    return [{"name": f"feed {i}", "url": url} for i, url in enumerate(urls)]
