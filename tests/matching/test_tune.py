"""The tuner: moves a topic's numbers the way labelled items ask, and only when they ask."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Item
from bot.matching.crossval import tally
from bot.matching.engine import compile_topics
from bot.matching.evaluate import Labelled
from bot.matching.loader import load_topic
from bot.matching.model_fit import examples
from bot.matching.spec import TopicSpec
from bot.matching.textmodel import encode
from bot.matching.topic_edit import format_number, rewrite_numbers
from bot.matching.training import fit
from bot.matching.tune import Loc, find_knobs, spec_with, tune, verdicts
from bot.settings.yamlsource import read_yaml
from tests.support.textmodels import GATED_TOPIC, write_model_topic

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


def memorised(tmp_path: Path) -> tuple[Path, TopicSpec, list[Labelled]]:
    """Items alike but for one made-up word each, labelled alternately, and a topic whose
    shipped model was trained on those very items: in sample it knows every label, but no
    other model can learn them."""
    items = [
        Labelled(f"r{n}", "en", n % 2, Item(title=f"Heroin seized jointly, case zq{n}x"))
        for n in range(24)
    ]
    fitted = fit(examples(items, bits=12), bits=12)
    model = encode(fitted.bits, fitted.bias, fitted.weights)
    topic = GATED_TOPIC.replace("threshold: 0.5 ", "threshold: 0.7 ")
    path = write_model_topic(tmp_path, model=model, weight=0.5, topic=topic)
    return path, load_topic(path, env={}), items


def test_with_a_model_the_blend_weight_and_the_gate_are_knobs(tmp_path: Path) -> None:
    """A topic with a model that writes `model.weight` and `missing_required_factor` has
    both tuned; without a model the gate factor is not a knob (the gate vetoes anyway)."""
    path, spec, items = memorised(tmp_path)
    written = set(read_yaml(path, env={}).lines)
    names = [knob.name for knob in find_knobs(spec, written, items)]
    assert {"model.weight", "missing_required_factor"} <= set(names)
    plain = tmp_path / "plain.yaml"
    plain.write_text(GATED_TOPIC, encoding="utf-8")
    written = set(read_yaml(plain, env={}).lines)
    names = [knob.name for knob in find_knobs(load_topic(plain, env={}), written, items)]
    assert "model.weight" not in names
    assert "missing_required_factor" not in names


def test_with_a_model_before_is_judged_out_of_fold(tmp_path: Path) -> None:
    """The shipped model saw the labelled items, so in sample it separates them all; the
    tuner's 'before' scores each item with a model that never saw it, and shows that it
    does not."""
    _, spec, items = memorised(tmp_path)
    in_sample = tally(items, verdicts(spec, items))
    assert in_sample.overall.f1 == 1.0
    result = tune(spec, items, set(read_yaml(tmp_path / "smuggling.yaml", env={}).lines))
    assert result.before.overall.f1 < 0.7
