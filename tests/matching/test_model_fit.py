"""Training a topic's model: terse copies of the labelled items, and figures that are out of
fold (no item judged by a model that saw it)."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Item
from bot.matching import load_topic
from bot.matching.evaluate import Labelled
from bot.matching.model_fit import TERSE_WEIGHT, examples, first_sentence, terse, train
from bot.matching.training import predict
from tests.support.textmodels import GATED_TOPIC


def test_the_first_sentence_ends_at_a_full_stop_in_any_script() -> None:
    """A full stop followed by a space (not one inside "U.S.-Mexico") or a Chinese stop ends
    it; without one, the first 300 characters are the sentence."""
    assert first_sentence("Talks on U.S.-Mexico patrols. Then more.") == (
        "Talks on U.S.-Mexico patrols."
    )
    assert first_sentence("中老两国禁毒合作。会议在万象举行。") == "中老两国禁毒合作。"
    assert first_sentence("no stop " * 100) == ("no stop " * 100)[:300]


def test_each_labelled_item_also_trains_as_a_terse_feed_gives_it() -> None:
    """A long item trains twice: whole, and as headline and first sentence at TERSE_WEIGHT;
    a headline-only item once."""
    long = Item(title="Heroin talks", summary="Officials met. They agreed on patrols. And more.")
    assert terse(long).summary == "Officials met."
    rows = [Labelled("a", "en", 1, long), Labelled("b", "en", 0, Item(title="A farmer"))]
    made = examples(rows, bits=12)
    assert [(e.label, e.weight) for e in made] == [(1, 1.0), (1, TERSE_WEIGHT), (0, 1.0)]
    assert len(made[1].features.ids) < len(made[0].features.ids)


def test_training_figures_are_out_of_fold(tmp_path: Path) -> None:
    """Items alike but for one made-up word each cannot be learned: the model fitted on all
    of them separates them in sample, but the cross-validated figures say it does not."""
    path = tmp_path / "topic.yaml"
    path.write_text(GATED_TOPIC, encoding="utf-8")
    spec = load_topic(path, env={})
    rows = [
        Labelled(f"r{n}", "en", n % 2, Item(title=f"Heroin seized jointly, case zq{n}x"))
        for n in range(24)
    ]
    result = train(spec, rows)
    fitted = result.fitted
    in_sample = [predict(fitted, e.features) >= 0.5 for e in examples(rows, bits=fitted.bits)]
    assert in_sample == [bool(row.label) for row in rows]
    assert result.after.overall.f1 < 0.7
    assert result.items == 24
    assert result.folds == 5
