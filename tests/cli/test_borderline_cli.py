"""`narcowatch borderline`: the unmatched stored items closest to matching, best first, as
lines for a terminal or as JSON Lines that `eval` and `train` read back once labelled."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.models import Item, TopicScore
from bot.matching import compile_topics, load_topic
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, open_store
from tests.support.cli import DEFAULT_TOPIC, run_cli, write_config

TOPIC = "drug-control-cooperation"
NOW = datetime.now(UTC)
STORIES = {
    "a": ("Ministers discuss narcotics along the border", "Officials of Laos and Thailand met."),
    "b": ("Police seize cocaine in port raid", "Customs officers found cocaine in a box."),
    "c": (
        "Regional security dialogue \x1b[2Jopens",
        "Delegations from Kazakhstan and Kyrgyzstan discussed border crime and smuggling.",
    ),
    "none": ("Rice prices rise", "Prices of rice and vegetables rose in the third quarter."),
    "hit": ("Joint operation seizes heroin", "Police of China and Myanmar worked together."),
    "old": ("Old narcotics talks", "Officials of Laos and Thailand met about heroin."),
}


def entry_link(key: str) -> str:
    return f"http://example.org/{key}"


def seed(database_url: str) -> dict[str, int]:
    """The stories stored ("hit" as a match, "old" 30 days ago); their item ids."""
    store = open_store(database_url)
    try:
        store.sync_config_sources([SourceSpec(name="wire", url="http://127.0.0.1:9/f")], now=NOW)
        source_id = store.claim_all_enabled(now=NOW, owner="t", lease_seconds=60)[0].id
        for key, (title, summary) in STORIES.items():
            when = NOW - timedelta(days=30 if key == "old" else 0)
            matches = (TopicScore(topic=TOPIC, score=0.9, matched=True),) if key == "hit" else ()
            entry = StoredEntry(
                key=key,
                canonical_link=f"http://example.org/{key}",
                title_hash=hashlib.sha256(title.encode()).hexdigest(),
                item=Item(
                    title=title, summary=summary, link=f"http://example.org/{key}", lang="en"
                ),
                matches=matches,
            )
            success = PollSuccess(now=when, next_poll_at=when + timedelta(hours=1))
            store.save_poll(source_id, success, [entry], alert=False)
        hits = store.unmatched_items(topics=["nothing"], since=NOW - timedelta(days=60), limit=99)
        return {hit.link.rsplit("/", 1)[1]: hit.item_id for hit, _ in hits if hit.link}
    finally:
        store.close()


def test_borderline_json_lists_near_misses_best_first_and_reads_back_labelled(
    tmp_path: Path,
) -> None:
    """JSON Lines of the period's unmatched items that score above 0, highest first, with
    their text, topic and score now; labelled, the same file is input to `eval`."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    ids = seed(database_url)
    config = write_config(tmp_path, [], database_url=database_url)
    result = run_cli("borderline", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    matcher = compile_topics([load_topic(DEFAULT_TOPIC, env={})])
    expected = []
    for key in ("a", "b", "c", "none"):
        title, summary = STORIES[key]
        (score,) = matcher.score(Item(title=title, summary=summary, lang="en"))
        if score.score > 0 and not score.matched:
            expected.append((round(score.score, 4), f"item-{ids[key]}"))
    expected.sort(key=lambda e: (-e[0], -int(e[1].split("-")[1])))
    assert len(expected) >= 2
    assert [(row["score"], row["id"]) for row in rows] == expected
    assert {row["topic"] for row in rows} == {TOPIC}
    first = rows[0]
    key = next(k for k, i in ids.items() if f"item-{i}" == first["id"])
    assert (first["title"], first["summary"], first["lang"]) == (*STORIES[key], "en")
    assert f"{len(rows)} of 5 unmatched items stored since" in result.stderr

    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        "".join(json.dumps({**row, "label": 1}) + "\n" for row in rows), encoding="utf-8"
    )
    judged = run_cli("eval", str(labelled), "--config", str(config))
    assert judged.returncode == 0, judged.stderr
    assert "recall 0.000" in judged.stdout or "0.000" in judged.stdout


def test_borderline_text_is_terminal_safe_and_bad_options_exit_2(tmp_path: Path) -> None:
    """Two lines an item, escape sequences dropped; a bad period or topic exits 2 naming it."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    ids = seed(database_url)
    config = write_config(tmp_path, [], database_url=database_url)
    result = run_cli("borderline", "--since", "7d", "--limit", "2", "--config", str(config))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert "\x1b" not in result.stdout
    assert all(line.startswith("      #") for line in lines[1::2])
    assert {int(line.split()[0][1:]) for line in lines[1::2]} <= set(ids.values())
    bad = run_cli("borderline", "--since", "soon", "--config", str(config))
    assert bad.returncode == 2
    assert "--since" in bad.stderr
    unknown = run_cli("borderline", "--topic", "nope", "--config", str(config))
    assert unknown.returncode == 2
    assert "unknown topic 'nope'" in unknown.stderr
