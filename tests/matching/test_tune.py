"""The tuner: moves a topic's numbers the way labelled items ask, and only when they ask."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Item
from bot.matching.engine import compile_topics
from bot.matching.evaluate import Labelled
from bot.matching.loader import load_topic
from bot.matching.spec import TopicSpec
from bot.matching.topic_edit import format_number, rewrite_numbers
from bot.matching.tune import Loc, spec_with, tune
from bot.settings.yamlsource import read_yaml

TOPIC = """\
id: animals
title: Animals   # a test topic
threshold: 0.2          # where an item matches
groups:
  animals:
    weight: 0.9         # the only group
    terms:
      en:
        - zebra                        # full weight
        - {term: horse, weight: 0.75}  # a horse is nearly a zebra
"""


def rows(
    positive: str, negative: str, *, positives: int = 12, negatives: int = 6
) -> list[Labelled]:
    made = [
        Labelled(f"p{n}", "en", 1, Item(title=f"A {positive} number {n} in the park"))
        for n in range(positives)
    ]
    made += [
        Labelled(f"n{n}", "en", 0, Item(title=f"A {negative} number {n} in the field"))
        for n in range(negatives)
    ]
    return made


def separates(spec: TopicSpec, values: dict[Loc, float], items: list[Labelled]) -> bool:
    """Whether the topic with these numbers matches exactly the relevant items."""
    tuned = spec_with(spec, values)
    matcher = compile_topics([tuned])
    return all(matcher.score_for(row.item, tuned.id).matched == bool(row.label) for row in items)


def topic(tmp_path: Path, text: str = TOPIC) -> tuple[Path, TopicSpec, set[Loc]]:
    path = tmp_path / "animals.yaml"
    path.write_text(text, encoding="utf-8")
    return path, load_topic(path, env={}), set(read_yaml(path, env={}).lines)


def test_false_positives_raise_the_threshold(tmp_path: Path) -> None:
    """Items that score a little less than the relevant ones but are not relevant push the
    threshold up, between the two, and the cross-validated precision rises."""
    _, spec, written = topic(tmp_path)
    items = rows("zebra", "horse")
    result = tune(spec, items, written)
    assert result.before.overall.precision < 1.0
    assert result.after.overall.precision == 1.0
    assert result.after.overall.recall == 1.0
    changed = {c.knob.name: c.new for c in result.changes}
    assert changed["threshold"] > 0.2
    assert separates(spec, {c.knob.loc: c.new for c in result.changes}, items)


def test_missed_items_lower_the_threshold(tmp_path: Path) -> None:
    """Relevant items that score just under the threshold pull it down to them."""
    _, spec, written = topic(tmp_path, TOPIC.replace("threshold: 0.2 ", "threshold: 0.7"))
    items = rows("zebra", "lion")
    result = tune(spec, items, written)
    assert result.before.overall.recall == 0.0
    assert result.after.overall.recall == 1.0
    changed = {c.knob.name: c.new for c in result.changes}
    assert changed["threshold"] < 0.7
    assert separates(spec, {c.knob.loc: c.new for c in result.changes}, items)


def test_numbers_that_already_fit_are_left_alone(tmp_path: Path) -> None:
    """When the current numbers separate the items, nothing is suggested."""
    _, spec, written = topic(tmp_path)
    result = tune(spec, rows("zebra", "lion"), written)
    assert result.changes == []
    assert result.after.overall.f1 == result.before.overall.f1 == 1.0


def test_rewrite_changes_only_the_numbers(tmp_path: Path) -> None:
    """A rewrite edits the numbers in place, in block and flow mappings; every other byte
    stays, and a comment after a number keeps its column."""
    path, _, _ = topic(tmp_path)
    doc = read_yaml(path, env={})
    changed = rewrite_numbers(
        TOPIC,
        doc.lines,
        {
            ("threshold",): 0.27,
            ("groups", "animals", "weight"): 1.0,
            ("groups", "animals", "terms", "en", 1, "weight"): 0.5,
        },
        path=str(path),
    )
    assert changed == (
        TOPIC.replace("threshold: 0.2  ", "threshold: 0.27 ")
        .replace("weight: 0.9 ", "weight: 1.0 ")
        .replace("weight: 0.75}", "weight: 0.5}")
    )
    assert format_number(0.35) == "0.35"
    assert format_number(2) == "2.0"
