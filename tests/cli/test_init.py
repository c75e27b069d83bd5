"""`narcowatch init` and the bundled config, run as a user would from a folder of their own."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.test_daemon import wait_healthy
from tests.support.cli import REPO, free_port, run_cli, start_cli
from tests.support.feedserver import feed_server, rss_feed

pytestmark = pytest.mark.slow

BUNDLED = REPO / "config"
ITEM = json.dumps(
    {
        "id": "x1",
        "title": "China and Laos launch joint anti-drug operation",
        "summary": "Police share intelligence on heroin trafficking with UNODC.",
    }
)


def test_init_writes_exact_copies_and_says_what_to_edit_first(tmp_path: Path) -> None:
    """The copies are byte for byte the bundled files (comments kept), under DIR/config/."""
    done = run_cli("init", str(tmp_path / "watch"))
    assert done.returncode == 0, done.stderr
    config = tmp_path / "watch" / "config" / "narcowatch.yaml"
    topic = tmp_path / "watch" / "config" / "topics" / "drug-control-cooperation.yaml"
    assert config.read_bytes() == (BUNDLED / "narcowatch.yaml").read_bytes()
    assert topic.read_bytes() == (BUNDLED / "topics" / topic.name).read_bytes()
    root = tmp_path / "watch" / "config"
    copied = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    bundled = sorted(p.relative_to(BUNDLED) for p in BUNDLED.glob("topics/**/*") if p.is_file())
    assert copied == sorted([Path("narcowatch.yaml"), *bundled])
    assert f"wrote {config}" in done.stdout
    assert "Edit first:" in done.stdout
    assert "`sources:`" in done.stdout
    assert "TELEGRAM_BOT_TOKEN" in done.stdout
    assert f"cd {tmp_path / 'watch'} && narcowatch check-config && narcowatch run" in done.stdout


def test_init_refuses_to_overwrite_and_writes_nothing_without_force(tmp_path: Path) -> None:
    """A second init keeps the user's edits (exit 2, naming the files); --force replaces them."""
    assert run_cli("init", cwd=tmp_path).returncode == 0
    config = tmp_path / "config" / "narcowatch.yaml"
    topic = tmp_path / "config" / "topics" / "drug-control-cooperation.yaml"
    config.write_text("# my edits\n", encoding="utf-8")
    topic.unlink()

    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "not overwriting config/narcowatch.yaml" in again.stderr
    assert "--force" in again.stderr
    assert config.read_text(encoding="utf-8") == "# my edits\n"
    assert not topic.exists(), "nothing is written when any file would be replaced"

    forced = run_cli("init", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert config.read_bytes() == (BUNDLED / "narcowatch.yaml").read_bytes()
    assert topic.is_file()


def test_an_empty_folder_runs_on_the_bundled_config(tmp_path: Path) -> None:
    """No --config, no NARCOWATCH_CONFIG, no config/ here: check-config and score use the
    bundled config and topic, and say so; after init, the folder's own copy is in force."""
    checked = run_cli("check-config", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{BUNDLED / 'narcowatch.yaml'}: ok")
    assert "the bundled config" in checked.stdout

    scored = run_cli("score", "-", stdin=ITEM + "\n", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout)
    assert (result["id"], result["topic"], result["matched"]) == (
        "x1",
        "drug-control-cooperation",
        True,
    )
    assert "using the bundled config" in scored.stderr
    assert list(tmp_path.iterdir()) == [], "checking and scoring write nothing"

    assert run_cli("init", cwd=tmp_path).returncode == 0
    own = run_cli("check-config", cwd=tmp_path)
    assert own.returncode == 0, own.stderr
    assert own.stdout.startswith("config/narcowatch.yaml: ok")
    assert "bundled" not in own.stdout + own.stderr


async def test_run_from_an_initialised_folder_creates_data_and_logs_its_config(
    tmp_path: Path,
) -> None:
    """After init and an edit (a loopback feed, a free port), `run` from that folder creates
    data/narcowatch.db, logs which config is in force, answers /healthz and stops on SIGTERM."""
    assert run_cli("init", cwd=tmp_path).returncode == 0
    config_file = tmp_path / "config" / "narcowatch.yaml"
    port = free_port()
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", rss_feed(3))
        config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        config["sources"] = [{"name": "loopback news", "url": url}]
        config["health"] = {"listen": f"127.0.0.1:{port}"}
        config["articles"] = {"enabled": False}
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        logs = tmp_path / "daemon"
        daemon = start_cli("run", output=logs, cwd=tmp_path)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz", 60)
        finally:
            sent = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
            stopped_in = time.monotonic() - sent
    stderr = logs.with_suffix(".stderr").read_text(encoding="utf-8")
    assert daemon.returncode == 0, stderr
    assert stopped_in < 10
    assert (tmp_path / "data" / "narcowatch.db").is_file()
    line = next(line for line in stderr.splitlines() if "config.in_force" in line)
    assert str(config_file) in line
    assert "working folder" in line
