"""A topic's `model:` section: the file is read relative to the topic, and a missing, corrupt
or changed file is a ConfigError naming the `model.file` line."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.matching import load_topic
from bot.matching.loader import model_file, models_trained_at, trained_at
from tests.support.textmodels import line_of, train_model, write_model_topic


def test_the_model_file_is_read_relative_to_the_topic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`file: models/x.npz` is beside the topic file, whatever the working directory; the
    numbers are loaded with the weight and the file's checksum."""
    data = train_model()
    topics = tmp_path / "config" / "topics"
    topics.mkdir(parents=True)
    path = write_model_topic(topics, model=data, weight=0.35)
    monkeypatch.chdir(tmp_path)  # models/smuggling.npz does not exist here
    spec = load_topic(path, env=os.environ)
    assert spec.model is not None
    assert spec.model.weight == 0.35
    assert model_file(path, spec.model) == topics / "models" / "smuggling.npz"
    loaded = spec.model.loaded
    assert loaded is not None
    assert loaded.bits == 12
    assert loaded.digest == hashlib.sha256(data).hexdigest() == spec.model.sha256


def test_a_topic_without_a_checksum_loads_any_model_file(tmp_path: Path) -> None:
    """`sha256` is optional: without it the file is read as it is."""
    spec = load_topic(write_model_topic(tmp_path, checksum=False), env={})
    assert spec.model is not None
    assert spec.model.sha256 is None
    assert spec.model.loaded is not None


def test_the_loaded_numbers_never_reach_the_topics_yaml(tmp_path: Path) -> None:
    """Dumping the topic (what tune does to try numbers) leaves the loaded model out."""
    spec = load_topic(write_model_topic(tmp_path), env={})
    dumped = spec.model_dump(mode="json")
    assert set(dumped["model"]) == {"file", "weight", "sha256"}


def expect_problem(path: Path, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_topic(path, env={})
    (problem,) = caught.value.problems
    assert problem.file == str(path)
    assert problem.line == line_of(path, "  file:")
    model = path.parent / "models" / "smuggling.npz"
    assert str(problem).startswith(f"{path}:{problem.line}: model file {model}: ")
    assert message in problem.message


def test_a_missing_model_file_names_the_file_line(tmp_path: Path) -> None:
    """No such file: the problem points at `model.file` and says so."""
    path = write_model_topic(tmp_path)
    (tmp_path / "models" / "smuggling.npz").unlink()
    expect_problem(path, "No such file or directory")


def test_a_corrupt_model_file_names_the_file_line(tmp_path: Path) -> None:
    """A file that is not a model: the problem says why, at the `model.file` line."""
    path = write_model_topic(tmp_path, model=b"not a model at all", checksum=False)
    expect_problem(path, "not a model file")


def test_a_model_file_changed_since_it_was_named_is_refused(tmp_path: Path) -> None:
    """A sha256 that differs from the file's (another model copied over it) is refused,
    saying how to fix it."""
    path = write_model_topic(tmp_path)
    other = train_model(["a zebra grazes"], ["a tractor rusts"])
    (tmp_path / "models" / "smuggling.npz").write_bytes(other)
    expect_problem(path, "its sha256 differs from the one this topic names")


@pytest.mark.parametrize(
    "written",
    [
        '{"trained_at": "2026-12-07T10:06:52.123456+00:00"}',
        '{"trained_at": "0001-01-01T00:00:00+14:00"}',  # before year 1 in UTC
        '{"trained_at": "yesterday"}',
        '{"trained_at": 20261207}',
        "[1, 2]",
        "{not json",
    ],
)
def test_the_training_date_is_read_or_none_from_any_record(tmp_path: Path, written: str) -> None:
    """The record beside the model (`.model.json`) dates it for `train --feedback`, the
    metric and the admins' nudge; a hand-edited one gives no date, never an exception (the
    daemon reads it on every metrics scrape)."""
    path = write_model_topic(tmp_path)
    spec = load_topic(path, env=os.environ)
    assert spec.model is not None
    model_file(path, spec.model).with_suffix(".json").write_text(written, encoding="utf-8")
    expected = datetime(2026, 12, 7, 10, 6, 52, 123456, tzinfo=UTC) if "2026-" in written else None
    assert trained_at(path, spec.model) == expected
    assert models_trained_at([path], env=os.environ) == (
        {"smuggling": expected} if expected else {}
    )
