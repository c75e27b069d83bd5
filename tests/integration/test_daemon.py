"""`narcowatch run` as a subprocess: health, console alerts for new matches, graceful stop."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.scale.cluster import Database, wait_for
from tests.support.cli import free_port, run_cli, start_cli, write_config
from tests.support.feedserver import feed_server, rss_feed

pytestmark = pytest.mark.slow

MATCHING_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><guid>m1</guid><title>SCO members agree joint anti-drug operation</title>"
    b"<link>http://example.org/m1</link><description>China, Russia and Kazakhstan will share "
    b"intelligence on cross-border drug trafficking and precursor chemicals, the Ministry of "
    b"Public Security said.</description></item>"
    b"</channel></rss>"
)


async def wait_healthy(url: str, deadline_s: float) -> dict[str, object]:
    """Poll /healthz until it answers 200, or fail after the deadline."""
    last: object = None
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(int(deadline_s * 5)):
            try:
                response = await client.get(url, timeout=2)
                if response.status_code == 200:
                    report: dict[str, object] = response.json()
                    return report
                last = response.text
            except httpx.HTTPError as exc:
                last = exc
            await asyncio.sleep(0.2)
    raise AssertionError(f"daemon never healthy: {last}")


async def test_daemon_alerts_on_new_matching_item_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The daemon polls on its interval, prints a console alert for a new matching item within
    the interval + 5 s, answers /healthz and `narcowatch health`, and exits 0 on SIGTERM."""
    port = free_port()
    interval = 2.0
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", rss_feed(3, prefix="old"), etag='"v1"')
        config = write_config(
            tmp_path,
            [{"name": "loopback news", "url": url, "interval": f"{interval:g}s"}],
            health_port=port,
        )
        logs = tmp_path / "daemon"
        stdout, stderr = logs.with_suffix(".stdout"), logs.with_suffix(".stderr")
        daemon = start_cli("run", "--config", str(config), output=logs)
        db = Database(f"sqlite:///{tmp_path / 'narcowatch.db'}")
        try:
            report = await wait_healthy(f"http://127.0.0.1:{port}/healthz", 30)
            assert report["healthy"] is True
            await wait_for(lambda: db.polled() == 1, deadline_s=30, what="the baseline poll")
            published = time.monotonic()
            server.add_feed("/feed.xml", MATCHING_FEED, etag='"v2"')

            checked = await asyncio.to_thread(
                run_cli, "health", "--url", f"http://127.0.0.1:{port}/healthz"
            )
            assert checked.returncode == 0, checked.stdout + checked.stderr

            await wait_for(
                lambda: "SCO members agree" in stdout.read_text(encoding="utf-8"),
                deadline_s=interval + 5,
                what="the console alert within the interval + 5 s",
                every_s=0.05,
            )
            latency = time.monotonic() - published
        finally:
            db.close()
            sent = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
            stopped_in = time.monotonic() - sent
    print(f"\nconsole alert {latency:.2f} s after publishing; stopped in {stopped_in:.2f} s")
    assert daemon.returncode == 0, stderr.read_text(encoding="utf-8")
    assert stopped_in < 10
    alert_lines = [
        line for line in stdout.read_text(encoding="utf-8").splitlines() if "SCO members" in line
    ]
    assert len(alert_lines) == 1, alert_lines
    assert alert_lines[0].split()[1] == "drug-control-cooperation"
    assert "loopback news" in alert_lines[0]
    assert "daemon.stopped" in stderr.read_text(encoding="utf-8")
    assert len(server.requests_to("/feed.xml")) >= 2, "polled again on its interval"


async def test_second_daemon_on_one_sqlite_database_refuses_to_start(tmp_path: Path) -> None:
    """A second `narcowatch run` on the same SQLite file exits 1 with a clear message."""
    first_config = write_config(tmp_path, [], health_port=free_port())
    first = start_cli("run", "--config", str(first_config))
    try:
        await wait_healthy(f"http://{health_address(first_config)}/healthz", 30)
        other_dir = tmp_path / "other"
        other_dir.mkdir()
        second_config = write_config(
            other_dir,
            [],
            database_url=f"sqlite:///{tmp_path / 'narcowatch.db'}",
            health_port=free_port(),
        )
        second = await asyncio.to_thread(run_cli, "run", "--config", str(second_config))
        assert second.returncode == 1
        assert "another narcowatch daemon" in second.stderr
        assert "use PostgreSQL to run several" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        await asyncio.to_thread(first.communicate, timeout=15)
    assert first.returncode == 0


def health_address(config: Path) -> str:
    import yaml

    return str(yaml.safe_load(config.read_text(encoding="utf-8"))["health"]["listen"])


def test_busy_health_port_is_a_clear_error(tmp_path: Path) -> None:
    """A health address already in use stops `run` with exit 1 and a message naming it."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, [], health_port=port)
        result = run_cli("run", "--config", str(config), timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
