"""The matcher commands through the real CLI (`python -m bot ...` in a process of its own)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.matching.conftest import DEFAULT_TOPIC, REPO
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow

ON_TOPIC = {
    "id": "a1",
    "title": "China and Laos police seize heroin in joint operation",
    "summary": "<p>The <b>cross-border</b> operation was coordinated with UNODC.</p>",
    "lang": "en",
}
OFF_TOPIC = {"title": "Sunny weekend ahead", "summary": "Mild temperatures.", "lang": "en"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "narcowatch.yaml"
    path.write_text(f"topics:\n  - {DEFAULT_TOPIC}\n", encoding="utf-8")
    return path


def narcowatch(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, stdin=stdin, env=dict(os.environ), timeout=60, cwd=REPO)


def jsonl(*rows: object) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def test_score_streams_its_input(config: Path) -> None:
    """`score` reads JSON Lines as they come: the first batches are scored and written while
    the input is still open, so a file of millions of items takes the memory of one batch
    (it used to read the whole input first)."""
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "score", "--config", str(config), "-"],
        cwd=REPO,
        env=dict(os.environ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write(jsonl(*({**ON_TOPIC, "id": f"i{n}"} for n in range(200))))
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, "no score was written while the input was still open"
            first = json.loads(process.stdout.readline())
            assert process.poll() is None  # still reading
            process.stdin.close()
            rest = process.stdout.read().splitlines()
            assert process.wait(60) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert [first["id"], *(json.loads(line)["id"] for line in rest)] == [
        f"i{n}" for n in range(200)
    ]
    assert first["matched"] is True


def test_score_reads_json_lines_and_writes_one_line_per_item(config: Path) -> None:
    """Output follows SPEC 3.4, in input order; a missing id becomes the line number."""
    result = narcowatch("score", "--config", str(config), stdin=jsonl(ON_TOPIC, OFF_TOPIC))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a1", "2"]
    first = rows[0]
    spec_keys = {"id", "topic", "score", "matched", "terms", "entities", "reasons"}
    assert spec_keys <= set(first)
    # Fields of their own (SPEC 3.7, issue 19): what the text model added and why, and the
    # acting countries (ISO codes) and bodies.
    assert set(first) - spec_keys == {"text_model", "actors"}
    assert set(first["text_model"]) == {"probability", "added", "phrases"}
    assert any(r.startswith("text model ") for r in first["reasons"])
    assert first["topic"] == "drug-control-cooperation"
    assert first["matched"] is True
    assert rows[1]["matched"] is False
    assert first["score"] == round(first["score"], 4)
    assert {"term": "heroin", "group": "drugs", "count": 1} in first["terms"]
    assert {"name": "UNODC", "type": "organisation"} in first["entities"]
    assert any("cross-border" in reason for reason in first["reasons"])
    assert first["actors"] == ["CN", "LA", "UNODC"]
    assert rows[1]["actors"] == []


def test_plain_text_file_is_one_item(config: Path, tmp_path: Path) -> None:
    """A FILE whose first line is not a JSON object is one item: first line title, rest body."""
    path = tmp_path / "story.txt"
    path.write_text(
        "Laos hands over drug lord to China\nA joint investigation led to the handover.\n",
        encoding="utf-8",
    )
    result = narcowatch("score", "--config", str(config), str(path))
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (row["id"], row["matched"]) == ("1", True)


def test_a_bad_line_is_reported_with_its_number_and_exits_2(config: Path) -> None:
    """Good lines are still scored; each bad one is FILE:LINE on stderr; the exit status is 2."""
    stdin = jsonl(ON_TOPIC) + "{broken\n" + jsonl({"summary": "no title"})
    result = narcowatch("score", "--config", str(config), stdin=stdin)
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 1
    assert "<stdin>:2: not a JSON object" in result.stderr
    assert "<stdin>:3: missing required key 'title'" in result.stderr


def test_skip_bad_skips_and_still_reports(config: Path) -> None:
    """--skip-bad: exit 0, the bad line still named on stderr."""
    stdin = jsonl(ON_TOPIC) + "[1, 2]\n"
    result = narcowatch("score", "--skip-bad", "--config", str(config), stdin=stdin)
    assert result.returncode == 0
    assert "<stdin>:2: not a JSON object" in result.stderr


def test_an_unknown_topic_is_bad_input(config: Path) -> None:
    """--topic naming no configured topic exits 2 with the known ids."""
    result = narcowatch("score", "--config", str(config), "--topic", "nope", stdin="x\n")
    assert result.returncode == 2
    assert "unknown topic 'nope'" in result.stderr
    assert "drug-control-cooperation" in result.stderr


def test_a_bad_topic_file_is_reported_as_file_line(tmp_path: Path) -> None:
    """Topic problems surface through the CLI as file:line with exit 2."""
    topic = tmp_path / "bad.yaml"
    topic.write_text("id: t\ntitle: T\nthreshold: 2\ngroups: {}\n", encoding="utf-8")
    config = tmp_path / "narcowatch.yaml"
    config.write_text(f"topics: [{topic}]\n", encoding="utf-8")
    result = narcowatch("score", "--config", str(config), stdin="x\n")
    assert result.returncode == 2
    assert f"{topic}:3: threshold" in result.stderr


def test_eval_prints_metrics_confusion_and_misses(config: Path, tmp_path: Path) -> None:
    """eval: per-language and overall P/R/F1, the confusion table, and each miss explained."""
    rows = [
        {**ON_TOPIC, "label": 1},
        {**OFF_TOPIC, "label": 1, "id": "missed"},
        {"title": "中国与缅甸联合扫毒", "lang": "zh", "label": 1},
        {"title": "Weather", "lang": "ru", "label": 0},
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text(jsonl(*rows), encoding="utf-8")
    result = narcowatch("eval", str(path), "--config", str(config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "precision" in out
    assert "recall" in out
    assert "f1" in out
    assert "overall      1.000   0.667  0.800" in out
    assert "label 1           2        1" in out
    assert "false negatives (1):" in out
    assert "missed [en] score 0.0000" in out


def test_seed_terms_proposes_loadable_topic_yaml(tmp_path: Path) -> None:
    """seed-terms on the seeds prints YAML that validates as a topic, with counts."""
    seeds = sorted(str(p) for p in (REPO / "seeds").glob("*.txt"))
    result = narcowatch("seed-terms", *seeds)
    assert result.returncode == 0, result.stderr
    assert '"drug trafficking"  # 2' in result.stdout
    assert '"National Narcotics Control Commission", "NNCC"' in result.stdout
    topic = tmp_path / "proposed.yaml"
    topic.write_text(result.stdout, encoding="utf-8")
    config = tmp_path / "narcowatch.yaml"
    config.write_text(f"topics: [{topic}]\n", encoding="utf-8")
    check = narcowatch("score", "--config", str(config), stdin="drug trafficking\n")
    assert check.returncode == 0, check.stderr
