"""A saved topic edit takes effect without SIGHUP; a broken one is logged and the old one stays."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.integration.test_reload import wait_for_text
from tests.support.cli import free_port, start_cli, write_config
from tests.support.feedserver import feed_server

pytestmark = pytest.mark.slow

TOPIC = """\
id: watched
title: Watched topic
threshold: 0.5
groups:
  animals:
    weight: 1.0
    saturation: 1
    terms:
      en: [unicorn]   # the first term
"""


def feed(*titles: str) -> bytes:
    items = "".join(
        f"<item><guid>{title}</guid><title>{title}</title>"
        f"<link>http://example.org/{title.replace(' ', '-')}</link></item>"
        for title in titles
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


async def test_topic_edits_apply_by_themselves_and_broken_ones_are_refused(
    tmp_path: Path,
) -> None:
    """Adding a term to a topic file makes the next poll match it with no signal sent; a broken
    edit after it is logged with file:line and the edited (valid) topic keeps scoring."""
    topic = tmp_path / "watched.yaml"
    topic.write_text(TOPIC, encoding="utf-8")
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", feed("old news"), etag='"v0"')
        config = write_config(
            tmp_path,
            [{"name": "news", "url": url, "interval": "1s"}],
            health_port=free_port(),
            extra={
                "topics": [str(topic)],
                "reload": {"check_every": "200ms", "debounce": "300ms"},
            },
        )
        logs = tmp_path / "daemon"
        daemon = start_cli("run", "--config", str(config), output=logs)
        out, err = logs.with_suffix(".stdout"), logs.with_suffix(".stderr")
        try:
            await wait_for_text(err, "poll.done")  # the baseline poll

            topic.write_text(TOPIC.replace("[unicorn]", "[unicorn, zebracorn]"), "utf-8")
            applied = await wait_for_text(err, "reload.applied")
            assert "reload.files_changed" in applied
            server.add_feed("/feed.xml", feed("old news", "a zebracorn seen"), etag='"v1"')
            alert = await wait_for_text(out, "a zebracorn seen")
            assert "watched" in alert

            topic.write_text(TOPIC.replace("threshold: 0.5", "threshold: 2"), "utf-8")
            rejected = await wait_for_text(err, "reload.rejected")
            assert f"{topic}:3:" in rejected
            server.add_feed(
                "/feed.xml", feed("old news", "a zebracorn seen", "zebracorn again"), etag='"v2"'
            )
            await wait_for_text(out, "zebracorn again")
            assert daemon.poll() is None, "the daemon must keep running after a broken edit"
        finally:
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
    assert daemon.returncode == 0


async def first_of(path: Path, texts: tuple[str, ...], deadline_s: float = 20) -> str:
    """Wait until one of `texts` appears in the file; return the one that came first."""
    async with asyncio.timeout(deadline_s):
        while True:
            content = path.read_text(encoding="utf-8") if path.exists() else ""
            found = sorted((content.index(t), t) for t in texts if t in content)
            if found:
                return found[0][1]
            await asyncio.sleep(0.1)


async def test_a_topic_written_half_way_is_never_applied(tmp_path: Path) -> None:
    """A writer pauses mid-line, leaving a topic that parses (its last term cut to "zebr"):
    the daemon holds it however long the pause; the finished file is applied once."""
    topic = tmp_path / "watched.yaml"
    topic.write_text(TOPIC, encoding="utf-8")
    finished = TOPIC.replace("      en: [unicorn]   # the first term\n", "")
    finished += "      en:\n        - unicorn\n        - zebracorn\n"
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", feed("old news"), etag='"v0"')
        config = write_config(
            tmp_path,
            [{"name": "news", "url": url, "interval": "1s"}],
            health_port=free_port(),
            extra={
                "topics": [str(topic)],
                "reload": {"check_every": "200ms", "debounce": "300ms"},
            },
        )
        logs = tmp_path / "daemon"
        daemon = start_cli("run", "--config", str(config), output=logs)
        err = logs.with_suffix(".stderr")
        try:
            await wait_for_text(err, "poll.done")
            with topic.open("w", encoding="utf-8") as stream:
                stream.write(finished[: finished.index("zebracorn") + 4])
                stream.flush()
                assert await first_of(err, ("reload.held", "reload.applied")) == "reload.held"
                stream.write(finished[finished.index("zebracorn") + 4 :])
            log = await wait_for_text(err, "reload.applied")
            assert log.count("reload.files_changed") == 1
            assert daemon.poll() is None
        finally:
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
    assert daemon.returncode == 0
