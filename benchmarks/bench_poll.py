"""Poll-cycle benchmark: 1,000 loopback feeds of 50 items, first and unchanged cycle, peak RSS.

Run: python benchmarks/bench_poll.py [--feeds 1000] [--items 50] [--hosts 20] [--database-url URL]

Starts a loopback feed server in its own process, then runs the real `narcowatch poll --once`
twice against a fresh database (first cycle: everything new; second: every feed answers 304),
measuring wall time and the poller's peak RSS. The baseline in the same run is a bare fetch of
the same URLs (httpx, same concurrency, no parsing or storage), the floor for any poller.
SPEC 5 bars: first cycle <= 60 s, unchanged cycle <= 10 s, RSS <= 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
TOPIC = REPO / "config/topics/drug-control-cooperation.yaml"


def start_feed_server(
    feeds: int, items: int, hosts: int, workdir: Path
) -> tuple[subprocess.Popen[bytes], list[str]]:
    urls_file = workdir / "urls.txt"
    server = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "benchmarks/loopback_feeds.py"),
            str(feeds),
            str(items),
            str(hosts),
            str(urls_file),
        ],
    )
    deadline = time.monotonic() + 60
    while not urls_file.exists():
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("feed server did not start")
        time.sleep(0.1)
    return server, urls_file.read_text(encoding="utf-8").split()


def write_config(workdir: Path, urls: list[str], database_url: str, concurrency: int) -> Path:
    config = {
        "database_url": database_url,
        "polling": {"interval": "1h", "timeout": "30s", "concurrency": concurrency},
        "health": {"listen": "127.0.0.1:0"},
        "sources": [{"name": f"feed {i}", "url": url} for i, url in enumerate(urls)],
        "topics": [str(TOPIC)],
    }
    path = workdir / "bench.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def timed_poll(config: Path, workdir: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and the summary line of one `narcowatch poll --once`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN")}
    out_path, err_path = workdir / "poll.out", workdir / "poll.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "poll", "--once", "--config", str(config)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=err,
        )
        # wait4 gives this child's own peak RSS (getrusage would mix in other children).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"poll failed ({process.returncode}):\n{err_path.read_text()[-3000:]}")
    summary = next(
        (line for line in out_path.read_text().splitlines() if line.startswith("sources:")), "?"
    )
    return wall, usage.ru_maxrss / 1024, summary


async def bare_fetch(urls: list[str], concurrency: int) -> float:
    """Seconds to GET every URL with httpx at the same concurrency: the floor."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:

        async def one(url: str) -> int:
            async with limit:
                response = await client.get(url)
                return len(response.content)

        started = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nw-bench-") as tmp:
        workdir = Path(tmp)
        server, urls = start_feed_server(args.feeds, args.items, args.hosts, workdir)
        try:
            database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
            config = write_config(workdir, urls, database_url, args.concurrency)
            baseline = asyncio.run(bare_fetch(urls, args.concurrency))
            first = timed_poll(config, workdir)
            second = timed_poll(config, workdir)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    print(
        f"feeds: {args.feeds} x {args.items} items on {args.hosts} loopback hosts, "
        f"concurrency {args.concurrency}, database {args.database_url or 'sqlite (file)'}"
    )
    print(f"baseline bare fetch (httpx, no parse/store): {baseline:6.1f} s")
    for label, (wall, rss, summary), bar in (
        ("first cycle:    ", first, 60),
        ("unchanged cycle:", second, 10),
    ):
        print(f"{label} {wall:6.1f} s   peak RSS {rss:5.0f} MB   [{summary}]   bar <= {bar} s")
    print(f"peak RSS: {max(first[1], second[1]):.0f} MB   bar <= 250 MB")


if __name__ == "__main__":
    main()
