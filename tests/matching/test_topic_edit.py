"""Naming a text model in a topic file: a block appended when absent, numbers rewritten in
place when present, every other byte kept, and what cannot be edited safely refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.matching.topic_edit import set_model
from bot.settings.yamlsource import read_yaml
from tests.support.textmodels import GATED_TOPIC

OLD = "0" * 64
NEW = "ab" * 32


def edit(tmp_path: Path, text: str, *, weight: float = 0.35) -> str:
    path = tmp_path / "topic.yaml"
    path.write_text(text, encoding="utf-8")
    lines = read_yaml(path, env={}).lines
    return set_model(text, lines, file="topic.model.npz", weight=weight, sha256=NEW, path=str(path))


def model_section(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "check.yaml"
    path.write_text(text, encoding="utf-8")
    return dict(read_yaml(path, env={}).data["model"])


def test_a_topic_without_a_model_gets_a_block_appended(tmp_path: Path) -> None:
    """The topic's text stays as it was, and a commented `model:` block follows it."""
    changed = edit(tmp_path, GATED_TOPIC)
    assert changed.startswith(GATED_TOPIC)
    assert changed.endswith(f"model:\n  file: topic.model.npz\n  weight: 0.35\n  sha256: {NEW}\n")
    assert "\n# The text model" in changed[len(GATED_TOPIC) :]
    assert model_section(tmp_path, changed) == {
        "file": "topic.model.npz",
        "weight": 0.35,
        "sha256": NEW,
    }


def test_a_topic_without_a_final_newline_still_gets_a_block_of_its_own(tmp_path: Path) -> None:
    """The last line is ended before the block is added."""
    changed = edit(tmp_path, GATED_TOPIC.rstrip("\n"))
    assert changed.startswith(GATED_TOPIC)
    assert model_section(tmp_path, changed)["file"] == "topic.model.npz"


def test_weight_and_checksum_are_rewritten_in_place(tmp_path: Path) -> None:
    """Only the weight and the checksum change; the file name, comments and columns stay."""
    text = GATED_TOPIC + (
        "model:               # the blend\n"
        "  file: models/mine.npz   # beside the topic\n"
        "  weight: 0.4         # how much the model counts\n"
        f"  sha256: {OLD}  # as written\n"
    )
    changed = edit(tmp_path, text, weight=0.55)
    assert changed == (
        text.replace("weight: 0.4         #", "weight: 0.55        #").replace(OLD, NEW)
    )
    assert model_section(tmp_path, changed) == {
        "file": "models/mine.npz",
        "weight": 0.55,
        "sha256": NEW,
    }


def test_missing_weight_and_checksum_are_added_under_the_file(tmp_path: Path) -> None:
    """A block with only `file:` gets the weight and checksum, indented like it."""
    text = GATED_TOPIC + "model:\n    file: m.npz   # mine\n"
    changed = edit(tmp_path, text)
    assert changed == GATED_TOPIC + (
        f"model:\n    file: m.npz   # mine\n    weight: 0.35\n    sha256: {NEW}\n"
    )


def test_a_null_checksum_is_replaced(tmp_path: Path) -> None:
    """`sha256: null` (a file not yet checked) takes the new checksum."""
    text = GATED_TOPIC + "model:\n  file: m.npz\n  weight: 0.4\n  sha256: null\n"
    assert edit(tmp_path, text).endswith(f"  weight: 0.35\n  sha256: {NEW}\n")


def test_a_flow_style_model_is_refused(tmp_path: Path) -> None:
    """`model: {file: ..., weight: ...}` on one line is refused at its line, not guessed at."""
    text = GATED_TOPIC + "model: {file: m.npz, weight: 0.4}\n"
    with pytest.raises(ConfigError) as caught:
        edit(tmp_path, text)
    (problem,) = caught.value.problems
    assert problem.line == GATED_TOPIC.count("\n") + 1
    assert problem.message == "write `model:` as a block, one key a line"
