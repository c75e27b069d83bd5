"""The real `narcowatch run` against a failing Bot API: the token never reaches the logs."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.cli import cli_env, free_port, start_cli, write_config
from tests.support.fake_bot_api import BOT_USER, TOKEN
from tests.support.webserve import serve_app

pytestmark = pytest.mark.slow


@asynccontextmanager
async def echoing_bot_api() -> AsyncIterator[str]:
    """A Bot API that knows the bot (getMe) but fails getUpdates and setMyCommands with a 500
    whose description echoes the request URL, as some proxies do; yields its base URL."""

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method == "getme":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method == "deletewebhook":
            return web.json_response({"ok": True, "result": True})
        description = f"Internal Server Error: {request.method} {request.url} failed"
        body = {"ok": False, "error_code": 500, "description": description}
        return web.json_response(body, status=500)

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    async with serve_app(app) as (_, port):
        yield f"http://127.0.0.1:{port}/bot"


async def run_until_logged(tmp_path: Path, base_url: str, fmt: str, events: set[str]) -> str:
    """Run the daemon until every event in `events` is in its stderr, stop it, return stderr."""
    config = write_config(tmp_path, [])
    env = cli_env(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base_url, NARCOWATCH_LOG_FORMAT=fmt
    )
    logs = tmp_path / f"daemon-{fmt}"
    daemon = start_cli("run", "--config", str(config), env=env, output=logs)
    stderr_path = logs.with_suffix(".stderr")
    try:
        until = time.monotonic() + 30
        while time.monotonic() < until:
            text = stderr_path.read_text(encoding="utf-8")
            if all(event in text for event in events):
                break
            await asyncio.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        await asyncio.to_thread(daemon.wait, 15)
    assert daemon.returncode == 0
    stderr = stderr_path.read_text(encoding="utf-8")
    assert all(event in stderr for event in events), stderr
    stdout = logs.with_suffix(".stdout").read_text(encoding="utf-8")
    assert TOKEN.split(":")[1] not in stdout
    return stderr


def assert_json_lines(stderr: str) -> list[dict[str, object]]:
    """Every stderr line is a JSON object with an event; returns them."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert lines
    assert all(isinstance(line.get("event"), str) and line["event"] for line in lines)
    return lines


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_errors_holding_the_bot_api_url_are_logged_redacted(tmp_path: Path, fmt: str) -> None:
    """Bot API errors that quote the request URL (token inside) are logged with the token
    replaced by [REDACTED], in text and in JSON; JSON lines parse and carry an event."""
    async with echoing_bot_api() as base_url:
        stderr = await run_until_logged(
            tmp_path, base_url, fmt, {"telegram.set_commands_failed", "telegram.polling_failed"}
        )
    assert TOKEN not in stderr
    assert TOKEN.split(":")[1] not in stderr
    assert "/bot[REDACTED]/getUpdates" in stderr
    if fmt == "json":
        events = {line["event"] for line in assert_json_lines(stderr)}
        assert {"daemon.started", "telegram.polling_failed", "daemon.stopped"} <= events


async def test_unreachable_bot_api_is_logged_without_the_token(tmp_path: Path) -> None:
    """With nothing listening at the Bot API address the daemon logs the failure, keeps
    running, stops cleanly, and never writes the token."""
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    stderr = await run_until_logged(tmp_path, base_url, "json", {"telegram.start_failed"})
    assert TOKEN.split(":")[1] not in stderr
    events = [line["event"] for line in assert_json_lines(stderr)]
    assert "daemon.stopped" in events
