"""SIGHUP reloads topics and sources; a broken config is rejected and the old one stays."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path

import pytest

from tests.support.cli import copy_default_topic, free_port, start_cli, write_config
from tests.support.feedserver import feed_server, rss_feed

pytestmark = pytest.mark.slow


def matching_feed(*guids: str) -> bytes:
    items = "".join(
        f"<item><guid>{guid}</guid><title>SCO states launch joint anti-drug operation {guid}"
        f"</title><link>http://example.org/{guid}</link><description>China, Russia and "
        "Kazakhstan share intelligence on transnational drug trafficking.</description></item>"
        for guid in guids
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
        "</channel></rss>".encode()
    )


async def wait_for_text(path: Path, text: str, deadline_s: float = 20) -> str:
    """Wait until `text` appears in the file, and return the file's content."""
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        content = path.read_text(encoding="utf-8") if path.exists() else ""
        if text in content:
            return content
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in {path}:\n{content}")


async def test_sighup_applies_a_changed_topic_and_rejects_a_broken_one(tmp_path: Path) -> None:
    """A broken topic file on SIGHUP is logged and ignored (alerts keep the old topic); a valid
    change applies to the next items without a restart."""
    topic = copy_default_topic(tmp_path)
    original = topic.read_text(encoding="utf-8")
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", rss_feed(2, prefix="old"), etag='"v0"')
        config = write_config(
            tmp_path,
            [{"name": "news", "url": url, "interval": "1s"}],
            health_port=free_port(),
            extra={"topics": [str(topic)]},
        )
        logs = tmp_path / "daemon"
        daemon = start_cli("run", "--config", str(config), output=logs)
        out, err = logs.with_suffix(".stdout"), logs.with_suffix(".stderr")
        try:
            await wait_for_text(err, "poll.done")

            broken = re.sub(r"(?m)^threshold: [0-9.]+", "threshold: [oops", original)
            assert broken != original
            topic.write_text(broken, "utf-8")
            daemon.send_signal(signal.SIGHUP)
            rejected = await wait_for_text(err, "reload.rejected")
            assert str(topic) in rejected
            server.add_feed("/feed.xml", matching_feed("a1"), etag='"v1"')
            first_alert = await wait_for_text(out, "operation a1")
            assert "drug-control-cooperation" in first_alert

            topic.write_text(
                original.replace("id: drug-control-cooperation", "id: renamed-topic"), "utf-8"
            )
            daemon.send_signal(signal.SIGHUP)
            await wait_for_text(err, "reload.applied")
            server.add_feed("/feed.xml", matching_feed("a1", "b2"), etag='"v2"')
            await wait_for_text(out, "operation b2")
            assert daemon.poll() is None, "the daemon must keep running across reloads"
        finally:
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
    lines = out.read_text(encoding="utf-8").splitlines()
    b2 = [line for line in lines if "operation b2" in line]
    assert len(b2) == 1
    assert b2[0].split()[1] == "renamed-topic"
    assert daemon.returncode == 0
