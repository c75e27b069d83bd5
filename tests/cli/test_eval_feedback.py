"""`narcowatch eval --feedback`: precision from subscribers' Relevant / Not relevant buttons."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.models import Item
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import open_store
from tests.support.alerts import CHAT, stored_alerts
from tests.support.cli import DEFAULT_TOPIC, run_cli, write_config

NOW = datetime.now(UTC)
TOPIC = "drug-control-cooperation"
MODEL_RECORD = DEFAULT_TOPIC.parent / f"{TOPIC}.model.json"


def seed_feedback(database_url: str) -> None:
    """Three alerts: two votes relevant; one vote not; a tie (counts as not relevant)."""
    store = open_store(database_url)
    try:
        items = [
            Item(title=f"story {n}", summary=f"a different body number {n} " * 3) for n in range(3)
        ]
        first, second, third = stored_alerts(store, items, topic=TOPIC, at=NOW)
        verdicts = [
            (first, 1, "relevant"),
            (first, 2, "relevant"),
            (second, 1, "not_relevant"),
            (third, 1, "relevant"),
            (third, 2, "not_relevant"),
        ]
        for match_id, user, verdict in verdicts:
            store.record_feedback(match_id, CHAT, user, verdict, now=NOW)
    finally:
        store.close()


def seed_miss(database_url: str) -> None:
    """One stored item that matched nothing, reported missed by two users of the topic's
    chat: it counts once, as a relevant item of the topic."""
    store = open_store(database_url)
    try:
        source_id = store.claim_all_enabled(now=NOW, owner="m", lease_seconds=60)[0].id
        entry = StoredEntry(
            key="missed",
            canonical_link="http://example.org/missed",
            title_hash=hashlib.sha256(b"missed").hexdigest(),
            item=Item(title="ministers agree on a narcotics task force", summary="talks " * 5),
        )
        success = PollSuccess(now=NOW, next_poll_at=NOW + timedelta(hours=1))
        store.save_poll(source_id, success, [entry], alert=True)
        item_id = next(i for i in range(1, 100) if store.item_topics(i) == frozenset())
        for user in (1, 2):
            assert store.record_miss(item_id, TOPIC, 10, user, now=NOW)
    finally:
        store.close()


def test_eval_feedback_reports_precision_per_topic(tmp_path: Path) -> None:
    """Each judged alert counts once, by majority of its votes; ties count as not relevant."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    seed_feedback(database_url)
    config = write_config(tmp_path, [], database_url=database_url)
    result = run_cli("eval", "--feedback", "--config", str(config))
    assert result.returncode == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if line.startswith(f"{TOPIC} ")]
    assert row.split()[1:] == ["0.333", "1", "2", "5", "0"]


def test_eval_feedback_counts_reported_misses(tmp_path: Path) -> None:
    """An item reported missed (`/missed`) counts once in the topic's "missed" column, and
    leaves the precision of its alerts alone."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    seed_feedback(database_url)
    seed_miss(database_url)
    config = write_config(tmp_path, [], database_url=database_url)
    result = run_cli("eval", "--feedback", "--config", str(config))
    assert result.returncode == 0, result.stderr
    header, row, since = result.stdout.splitlines()
    assert header.split() == ["topic", "precision", "relevant", "not", "votes", "missed"]
    assert row.split() == [TOPIC, "0.333", "1", "2", "5", "1"]
    trained = datetime.fromisoformat(json.loads(MODEL_RECORD.read_text())["trained_at"])
    assert since == (
        f"{TOPIC}: model trained {trained:%Y-%m-%d %H:%M} UTC; since then 3 alerts judged and "
        "1 item reported missed (narcowatch train --feedback learns from them)"
    )


def test_eval_feedback_counts_only_what_came_after_the_model_was_trained(
    tmp_path: Path,
) -> None:
    """Verdicts older than the model's training are in the table but not in the "since"
    line; a topic whose model has no readable record gets no such line."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    seed_feedback(database_url)
    topics = tmp_path / "topics"
    shutil.copytree(DEFAULT_TOPIC.parent, topics)
    record = topics / MODEL_RECORD.name
    facts = json.loads(record.read_text())
    facts["trained_at"] = (NOW + timedelta(hours=1)).isoformat()
    record.write_text(json.dumps(facts))
    config = write_config(tmp_path, [], database_url=database_url)
    config.write_text(
        config.read_text().replace(str(DEFAULT_TOPIC), str(topics / DEFAULT_TOPIC.name))
    )
    lines = run_cli("eval", "--feedback", "--config", str(config)).stdout.splitlines()
    assert lines[1].split()[1:] == ["0.333", "1", "2", "5", "0"]
    assert lines[2].endswith("since then 0 alerts judged and 0 items reported missed")
    record.write_text("not json")
    lines = run_cli("eval", "--feedback", "--config", str(config)).stdout.splitlines()
    assert len(lines) == 2


def test_eval_without_file_or_feedback_is_a_usage_error(tmp_path: Path) -> None:
    """`narcowatch eval` with neither a FILE nor --feedback exits 2 and says why."""
    config = write_config(tmp_path, [])
    result = run_cli("eval", "--config", str(config))
    assert result.returncode == 2
    assert "--feedback" in result.stderr
