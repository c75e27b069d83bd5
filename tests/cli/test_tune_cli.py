"""`narcowatch tune` through the real CLI: output, --write, --feedback and bad input."""

from __future__ import annotations

import json
import os
import re
import resource
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.test_eval_feedback import seed_feedback
from tests.matching.test_tune import TOPIC
from tests.support.cli import REPO, cli_env, run_cli, start_cli, write_config

pytestmark = pytest.mark.slow


def labelled(tmp_path: Path) -> Path:
    """Relevant zebras and irrelevant horses, which the topic's threshold lets through."""
    rows = [{"id": f"p{n}", "lang": "en", "label": 1, "title": f"A zebra {n}"} for n in range(12)]
    rows += [{"id": f"n{n}", "lang": "en", "label": 0, "title": f"A horse {n}"} for n in range(6)]
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def setup(tmp_path: Path) -> tuple[Path, Path]:
    topic = tmp_path / "animals.yaml"
    topic.write_text(TOPIC, encoding="utf-8")
    return topic, write_config(tmp_path, [], extra={"topics": [str(topic)]})


def without_numbers(text: str) -> str:
    return re.sub(r"\s*\d+(?:\.\d+)?\s*", "#", text)


def test_tune_prints_figures_and_writes_only_numbers(tmp_path: Path) -> None:
    """tune prints per-language figures before and after and the suggestion; --write rewrites
    the topic's numbers, leaving every comment and term as it was."""
    topic, config = setup(tmp_path)
    data = labelled(tmp_path)
    shown = run_cli("tune", str(data), "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert re.search(
        r"^en\s+0\.667\s+1\.000\s+0\.800\s+1\.000\s+1\.000\s+1\.000$", shown.stdout, re.M
    )
    assert re.search(r"threshold\s+0\.2 -> 0\.\d+", shown.stdout)
    assert "not written" in shown.stdout
    assert topic.read_text(encoding="utf-8") == TOPIC

    written = run_cli("tune", str(data), "--write", "--config", str(config))
    assert written.returncode == 0, written.stderr
    after = topic.read_text(encoding="utf-8")
    assert after != TOPIC
    assert without_numbers(after) == without_numbers(TOPIC)
    threshold = float(re.search(r"^threshold: ([\d.]+)", after, re.M).group(1))  # type: ignore[union-attr]
    assert threshold > 0.2
    evaluated = run_cli("eval", str(data), "--config", str(config))
    assert re.search(r"^overall\s+1\.000\s+1\.000\s+1\.000", evaluated.stdout, re.M)


def test_tune_adds_subscribers_feedback(tmp_path: Path) -> None:
    """--feedback adds the stored Relevant / Not relevant verdicts as labelled items."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    seed_feedback(database_url)  # three judged alerts of drug-control-cooperation
    topic = tmp_path / "small.yaml"  # a small topic of that id keeps the search quick
    topic.write_text(TOPIC.replace("id: animals", "id: drug-control-cooperation"), "utf-8")
    config = write_config(tmp_path, [], database_url=database_url, extra={"topics": [str(topic)]})
    rows = [{"id": f"r{n}", "lang": "en", "label": n % 2, "title": f"story {n}"} for n in range(10)]
    data = tmp_path / "few.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = run_cli("tune", str(data), "--feedback", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "13 labelled items (10 from files, 3 from feedback)" in result.stdout


def test_judged_items_carry_the_majority_verdict(database_url: str) -> None:
    """Each judged alert is read back once with its text; ties count as not relevant."""
    from bot.storage import open_store
    from bot.storage.history import judged_items

    seed_feedback(database_url)
    store = open_store(database_url)
    try:
        judged = judged_items(store.engine, topic="drug-control-cooperation")
        assert judged_items(store.engine, topic="other") == []
    finally:
        store.close()
    assert [(j.item.title, j.relevant) for j in judged] == [
        ("story 0", True),
        ("story 1", False),
        ("story 2", False),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "tune needs FILE... of labelled items"),
        (("--feedback",), "alone they would pull the threshold down"),
        (("--topic", "nope"), "unknown topic 'nope'"),
        (("missing.jsonl",), "missing.jsonl: cannot read"),
    ],
)
def test_tune_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    """Missing input (verdicts alone included), an unknown topic or an unreadable file: exit 2
    naming the problem."""
    _, config = setup(tmp_path)
    extra = (str(labelled(tmp_path)),) if args[:1] == ("--topic",) else ()
    result = run_cli("tune", *extra, *args, "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr


def test_tune_bad_lines_and_too_few_items_exit_2(tmp_path: Path) -> None:
    """A line without a 0/1 label is named by file and line; too few items are refused."""
    topic, config = setup(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "a zebra", "label": 1}\n{"title": "x", "label": "yes"}\n', "utf-8")
    result = run_cli("tune", str(bad), "--write", "--config", str(config))
    assert result.returncode == 2
    assert f'{bad}:2: "label" must be 0 or 1' in result.stderr
    few = tmp_path / "few.jsonl"
    few.write_text('{"title": "a zebra", "label": 1}\n{"title": "a lion", "label": 0}\n', "utf-8")
    result = run_cli("tune", str(few), "--config", str(config))
    assert result.returncode == 2
    assert "at least 10 labelled items" in result.stderr
    assert topic.read_text(encoding="utf-8") == TOPIC


def limit_file_size(limit: int) -> Callable[[], None]:
    """For preexec_fn: the child cannot write any file past `limit` bytes (EFBIG), as on a
    full disk. Python ignores SIGXFSZ, so the write fails instead of killing the process."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_failed_write_leaves_the_topic_as_it_was(tmp_path: Path) -> None:
    """--write whose write fails half way (no room past 64 bytes) keeps the original topic,
    leaves no temporary file, and says that nothing was written."""
    topic, config = setup(tmp_path)
    data = labelled(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "bot", "tune", str(data), "--write", "--config", str(config)],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit_file_size(64),
    )
    assert result.returncode == 2, result.stderr
    assert f"{topic}: not written, the file is unchanged: File too large" in result.stderr
    assert topic.read_text(encoding="utf-8") == TOPIC
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_written_topic_keeps_its_permissions(tmp_path: Path) -> None:
    """The rewritten file replaces the old one with the same permission bits."""
    topic, config = setup(tmp_path)
    topic.chmod(0o640)
    result = run_cli("tune", str(labelled(tmp_path)), "--write", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert topic.read_text(encoding="utf-8") != TOPIC
    assert stat.S_IMODE(topic.stat().st_mode) == 0o640


EDITED = TOPIC.replace("groups:\n", "groups:\n  birds:\n    weight: 0.4\n    terms: {en: [owl]}\n")
"""An edit made while tune runs: a group above `animals` moves its lines down."""


def test_an_edit_made_during_the_fit_is_kept_and_nothing_is_written(tmp_path: Path) -> None:
    """The topic changes after tune read it: tune refuses to write (its numbers would land on
    the old lines) and says why; the edit stays as it was made."""
    topic, config = setup(tmp_path)
    fifo = tmp_path / "labelled.fifo"
    os.mkfifo(fifo)
    rows = labelled(tmp_path).read_text(encoding="utf-8")
    process = start_cli("tune", str(fifo), "--write", "--config", str(config))
    # tune reads the topic, then its FILE: once it opens the pipe, the topic has been read.
    with fifo.open("w", encoding="utf-8") as pipe:
        topic.write_text(EDITED, encoding="utf-8")
        pipe.write(rows)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert "threshold" in out  # the fit ran and was shown
    assert f"{topic}: not written: the file changed while tune was running" in err
    assert topic.read_text(encoding="utf-8") == EDITED
