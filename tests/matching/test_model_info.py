"""What check-config tells an operator about a topic's text model, from its record."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matching import load_topic
from bot.matching.model_info import model_summary
from bot.matching.spec import TopicSpec
from tests.support.textmodels import GATED_TOPIC, train_model, write_model_topic


def topic_with_model(tmp_path: Path) -> tuple[TopicSpec, str]:
    """The small topic with its model loaded, and the model file's sha256."""
    data = train_model()
    spec = load_topic(write_model_topic(tmp_path, model=data, weight=0.6), env=os.environ)
    return spec, hashlib.sha256(data).hexdigest()


def trained(digest: str, **extra: Any) -> dict[str, Any]:
    """A record as `train --write` leaves it, from two files."""
    return {
        "topic": "smuggling",
        "trained_at": "2026-12-07T10:06:52.123456+00:00",
        "files": [{"path": "a.jsonl", "items": 300}, {"path": "b.jsonl", "items": 305}],
        "feedback_verdicts": 0,
        "items": 605,
        "model": {"sha256": digest, "bits": 12},
        "cross_validated": {"with_model": {"overall": {"f1": 0.951}}},
        **extra,
    }


def test_a_topic_without_a_model_has_nothing_to_say(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(GATED_TOPIC, encoding="utf-8")
    assert model_summary(load_topic(path, env=os.environ), {}) is None


def test_a_trained_model_names_its_file_blend_and_origin(tmp_path: Path) -> None:
    spec, digest = topic_with_model(tmp_path)
    assert model_summary(spec, trained(digest)) == (
        "text model models/smuggling.npz (2^12 features), blend 0.60, threshold 0.50",
        "trained 2026-12-07 10:06 UTC on 605 labelled items from 2 files (cross-validated F1 0.95)",
    )


def test_updates_from_verdicts_are_counted_back_to_the_training(tmp_path: Path) -> None:
    """Two updates: the figures are the training's (an update's own are on its verdicts
    alone), the verdicts are those of both updates, the date the last update's."""
    spec, digest = topic_with_model(tmp_path)
    first = trained("0" * 64)
    once = {
        "trained_at": "2026-12-20T08:00:00+00:00",
        "files": [],
        "feedback_verdicts": 31,
        "items": 31,
        "model": {"sha256": "1" * 64},
        "cross_validated": {"with_model": {"overall": {"f1": 0.5}}},
        "updated_from": {**first, "model_sha256": "0" * 64},
    }
    twice = {
        **once,
        "trained_at": "2027-01-03T09:30:00+00:00",
        "feedback_verdicts": 40,
        "items": 40,
        "model": {"sha256": digest},
        "updated_from": {**once, "model_sha256": "1" * 64},
    }
    _, origin = model_summary(spec, twice) or ("", "")
    assert origin == (
        "trained 2026-12-07 10:06 UTC on 605 labelled items from 2 files "
        "(cross-validated F1 0.95), updated 2 times from 71 subscriber verdicts "
        "(last 2027-01-03 09:30 UTC)"
    )


def test_subscriber_verdicts_in_a_training_are_told_apart_from_labelled_files(
    tmp_path: Path,
) -> None:
    """`train FILE --feedback` counts the verdicts among its items; an old model trained on
    verdicts alone has no file."""
    spec, digest = topic_with_model(tmp_path)
    record = trained(digest, items=635, feedback_verdicts=30)
    _, origin = model_summary(spec, record) or ("", "")
    assert origin == (
        "trained 2026-12-07 10:06 UTC on 605 labelled items from 2 files and 30 subscriber "
        "verdicts (cross-validated F1 0.95)"
    )
    record = trained(digest, files=[], items=44, feedback_verdicts=44)
    record.pop("cross_validated")
    assert model_summary(spec, record) == (
        "text model models/smuggling.npz (2^12 features), blend 0.60, threshold 0.50",
        "trained 2026-12-07 10:06 UTC on 44 subscriber verdicts",
    )


def test_a_missing_or_stale_record_is_named_not_trusted(tmp_path: Path) -> None:
    """No record (copied without it), or one about another file (the .npz replaced by hand):
    the operator is told the origin is unknown rather than given another model's."""
    spec, _ = topic_with_model(tmp_path)
    _, missing = model_summary(spec, {}) or ("", "")
    assert missing == "no record beside it: when and from what it was trained is unknown"
    _, stale = model_summary(spec, trained("ab" * 32)) or ("", "")
    assert stale.startswith("its record describes another model file (sha256 abababababab...)")


def test_a_damaged_record_gives_what_it_can(tmp_path: Path) -> None:
    """Wrong types and a bad date: no exception, the unknown parts left out."""
    spec, digest = topic_with_model(tmp_path)
    record = trained(digest, trained_at="yesterday", items="many", cross_validated=[1])
    _, origin = model_summary(spec, record) or ("", "")
    assert origin == "trained at an unknown time"
    # Year 1 at +14:00 is before year 1 in UTC: no such date, not an OverflowError.
    record = trained(digest, trained_at="0001-01-01T00:00:00+14:00", items=0)
    _, origin = model_summary(spec, record) or ("", "")
    assert origin.startswith("trained at an unknown time (cross-validated F1")


# A record is a file on disk an operator may have edited: any JSON at all.
DATES = st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
).map(datetime.isoformat)  # the edges of the calendar too: year 1 at +14:00 is before year 1 UTC
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | DATES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["trained_at", "items", "files", "feedback_verdicts", "updated_from", "model",
     "cross_validated", "with_model", "overall", "f1", "sha256"]
)  # fmt: skip
RECORD = st.recursive(
    st.dictionaries(KEYS, JSON, max_size=6),
    lambda inner: st.dictionaries(KEYS, inner | JSON, max_size=6),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def loaded_spec(tmp_path_factory: pytest.TempPathFactory) -> TopicSpec:
    """The small topic with its model, loaded once for the property test."""
    folder = tmp_path_factory.mktemp("model-info")
    return load_topic(write_model_topic(folder, model=train_model()), env=os.environ)


@given(record=RECORD)
def test_any_record_gives_two_lines_and_no_exception(
    loaded_spec: TopicSpec, record: dict[str, Any]
) -> None:
    """Whatever the record holds, check-config and /models get their two lines (one each)."""
    summary = model_summary(loaded_spec, record)
    assert summary is not None
    what, origin = summary
    assert what.startswith("text model models/smuggling.npz")
    assert origin
    assert "\n" not in origin
