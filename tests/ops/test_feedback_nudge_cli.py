"""The real `narcowatch run` tells its admin in Telegram (fake Bot API) that the default topic's
text model has verdicts enough to learn, once, and answers the admin's /models."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.models import Item
from bot.services.model_feedback import NUDGE_AT
from bot.storage import open_store
from tests.support.alerts import CHAT, stored_alerts
from tests.support.cli import cli_env, start_cli, tuned, write_config
from tests.support.fake_bot_api import TOKEN, fake_bot_api

pytestmark = pytest.mark.slow

ADMIN = 5550077
TOPIC = "drug-control-cooperation"


async def test_the_admin_is_told_once_that_verdicts_wait_for_the_model(tmp_path: Path) -> None:
    """NUDGE_AT verdicts given after the shipped model was trained: with the check every
    second, the admin gets a message naming the topic, the counts and the command, and only
    one however many checks ran until the daemon stopped (once per model: see
    tests/ops/test_feedback_nudge.py)."""
    database_url = f"sqlite:///{tmp_path / 'narcowatch.db'}"
    now = datetime.now(UTC)
    store = open_store(database_url)
    try:
        items = [Item(title=f"story {n}") for n in range(NUDGE_AT)]
        alerts = stored_alerts(store, items, topic=TOPIC, at=now)
        for n, match_id in enumerate(alerts):
            verdict = "not_relevant" if n % 5 == 0 else "relevant"
            store.record_feedback(match_id, CHAT, 1, verdict, now=now)
    finally:
        store.close()
    async with fake_bot_api() as telegram:
        config = write_config(
            tmp_path, [], database_url=database_url, extra={"telegram": {"admins": [ADMIN]}}
        )
        env = cli_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            **tuned(feedback_nudge_s=1),
        )
        daemon = start_cli("run", "--config", str(config), env=env, output=tmp_path / "daemon")
        try:
            told = await telegram.wait_for_text(ADMIN, "verdicts since its text model", within=30)
            await telegram.command("/models", chat_id=ADMIN)
            models = await telegram.wait_for_text(ADMIN, "<b>Text models</b>", within=30)
        finally:
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
    assert told.parse_mode == "HTML"
    assert told.text.startswith(f"<b>{TOPIC}</b>: {NUDGE_AT} verdicts since its text model")
    assert f"{NUDGE_AT} alerts judged, 0 items reported missed" in told.text
    assert "narcowatch train --feedback --write" in told.text
    assert len(telegram.messages_to(ADMIN)) == 2  # the nudge once, and the answer to /models
    assert daemon.returncode == 0
    # /models: the shipped model, its record, and the same verdicts.
    assert f"<b>{TOPIC}</b>: text model {TOPIC}.model.npz (2^" in models.text
    assert "labelled items from 4 files (cross-validated F1 0." in models.text
    judged = f"{NUDGE_AT} alerts judged ({NUDGE_AT - NUDGE_AT // 5} relevant, {NUDGE_AT // 5} not)"
    assert f"Since then: {judged}, 0 items reported missed: worth an update" in models.text
