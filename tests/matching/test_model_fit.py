"""Training a topic's model: terse copies of the labelled items, and figures that are out of
fold (no item judged by a model that saw it)."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Item
from bot.matching import load_topic
from bot.matching.evaluate import Labelled
from bot.matching.model_fit import (
    FEEDBACK_WEIGHT_CAP,
    TERSE_WEIGHT,
    examples,
    feedback_weight,
    first_sentence,
    terse,
    train,
)
from bot.matching.training import fit, predict
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


def test_subscriber_verdicts_weigh_together_as_much_as_the_labelled_files() -> None:
    """Each verdict weighs labelled/verdicts, at least 1 and at most the cap."""
    assert feedback_weight(300, 0) == 1.0
    assert feedback_weight(300, 60) == 5.0
    assert feedback_weight(300, 3) == FEEDBACK_WEIGHT_CAP
    assert feedback_weight(30, 300) == 1.0


def test_an_items_weight_scales_its_examples_and_moves_the_model() -> None:
    """A row's weight multiplies both of its examples; a verdict that weighs more pulls the
    model further towards its label on words only it has."""
    long = Item(title="Heroin talks", summary="Officials met. They agreed on patrols. And more.")
    (whole, short) = examples([Labelled("f", "en", 1, long, weight=4.0)], bits=12)
    assert (whole.weight, short.weight) == (4.0, 4.0 * TERSE_WEIGHT)

    def rows(weight: float) -> list[Labelled]:
        base = [
            Labelled(f"p{n}", "en", 1, Item(title=f"heroin seized in joint raid {n}"))
            for n in range(10)
        ] + [Labelled(f"n{n}", "en", 0, Item(title=f"farm prices rose {n}")) for n in range(10)]
        verdict = Labelled("v", "en", 1, Item(title="ministers convene narcotics panel"), weight)
        return [*base, verdict]

    probe = examples([Labelled("x", "en", 1, Item(title="narcotics panel convenes"))], bits=16)
    light, heavy = (predict(fit(examples(rows(w))), probe[0].features) for w in (1.0, 10.0))
    assert heavy > light + 0.05


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


def test_an_update_keeps_the_models_size_and_the_topics_blend(tmp_path: Path) -> None:
    """Given the current model as a prior (here one of 12 bits, not the default 16), training
    updates it at its own size, keeps the topic's blend weight and threshold, and says so."""
    from bot.matching.normalize import fold_item
    from bot.matching.textfeatures import text_features
    from bot.matching.training import Example, Fitted

    path = tmp_path / "topic.yaml"
    path.write_text(GATED_TOPIC, encoding="utf-8")
    spec = load_topic(path, env={})

    def item(title: str) -> Item:
        return Item(title=title)

    old = [(item(f"heroin talks with counterparts {n}"), 1) for n in range(6)]
    old += [(item(f"heroin found by a farmer {n}"), 0) for n in range(6)]
    prior: Fitted = fit(
        [Example(text_features(fold_item(i).text, bits=12), label) for i, label in old], bits=12
    )
    verdicts = [Labelled(f"p{n}", "en", 1, item(f"heroin envoys agree {n}")) for n in range(6)]
    verdicts += [Labelled(f"n{n}", "en", 0, item(f"heroin grown on a farm {n}")) for n in range(6)]
    result = train(spec, verdicts, prior=prior)
    assert result.updated
    assert result.fitted.bits == 12
    assert (result.weight, result.threshold) == (0.4, spec.threshold)  # no model yet: 0.4
    envoys = examples([Labelled("x", "en", 1, item("heroin envoys agree"))], bits=12)[0]
    assert predict(result.fitted, envoys.features) > predict(prior, envoys.features)
    assert not train(spec, verdicts).updated


def test_a_file_held_out_is_judged_by_a_model_that_never_saw_its_phrasing(
    tmp_path: Path,
) -> None:
    """Two files that say relevance in words of their own: the folds, drawing both files into
    every model, call the model perfect; each file held out, judged by a model trained on the
    other, shows it learnt nothing that carries over. Subscribers' verdicts (no file) train
    every held-out model and are never judged themselves."""
    path = tmp_path / "topic.yaml"
    path.write_text(GATED_TOPIC, encoding="utf-8")
    spec = load_topic(path, env={})
    cities = ("Vientiane", "Bangkok", "Yangon", "Hanoi", "Manila", "Jakarta", "Dhaka", "Kabul")
    cities += ("Lima", "Quito", "Bogota", "Tehran")
    said = {
        "a.jsonl": ("Heroin talks with counterparts in {}", "Heroin found by a farmer near {}"),
        "b.jsonl": ("Heroin liaison officers posted to {}", "Heroin seized by a fisherman near {}"),
    }
    rows: list[Labelled] = []
    files: list[str | None] = []
    for name, (relevant, unrelated) in said.items():
        for n, city in enumerate(cities):
            rows.append(Labelled(f"{name}-p{n}", "en", 1, Item(title=relevant.format(city))))
            rows.append(Labelled(f"{name}-n{n}", "en", 0, Item(title=unrelated.format(city))))
            files += [name, name]
    verdicts = [Labelled(f"v{n}", "en", n % 2, Item(title=f"Heroin case {n}")) for n in range(4)]
    result = train(spec, rows + verdicts, files=[*files, None, None, None, None])
    folds = result.after.overall  # every relevant item of the files found, nothing else
    assert (folds.tp, folds.fp) == (24, 0)
    assert result.by_file is not None
    assert sorted(result.by_file.each) == ["a.jsonl", "b.jsonl"]
    for held in result.by_file.each.values():
        confusion = held.overall
        assert confusion.tp + confusion.fp + confusion.fn + confusion.tn == 24
        assert confusion.recall == 0.0
    assert result.by_file.combined.overall.fn == 24

    # One file, or an update of the current model: nothing to hold out.
    assert train(spec, rows, files=["a.jsonl"] * len(rows)).by_file is None
    assert train(spec, rows, prior=result.fitted, files=files).by_file is None
