"""Fitting the text model: it learns what separates the classes, weighs the classes equally
and each item by its weight, refuses one class, and predicts as the shipped model does."""

from __future__ import annotations

import pytest

from bot.matching.textfeatures import TextFeatures, text_features
from bot.matching.textmodel import decode, encode
from bot.matching.training import Example, Fitted, fit, predict

BITS = 12


def features(text: str) -> TextFeatures:
    return text_features(text, bits=BITS)


def examples(relevant: list[str], unrelated: list[str]) -> list[Example]:
    made = [Example(features(t), 1) for t in relevant]
    return made + [Example(features(t), 0) for t in unrelated]


RELEVANT = [f"customs officers of both countries met in city {n}" for n in range(8)]
UNRELATED = [f"a farmer planted rice in village {n}" for n in range(8)]


def p(fitted: Fitted, text: str) -> float:
    return predict(fitted, features(text))


def test_separable_items_are_learned() -> None:
    """Items of words seen with one class get probabilities on that class's side, also for
    texts the model never saw."""
    fitted = fit(examples(RELEVANT, UNRELATED), bits=BITS)
    assert fitted.bits == BITS
    assert len(fitted.weights) == 2**BITS
    for text in RELEVANT:
        assert p(fitted, text) > 0.8
    for text in UNRELATED:
        assert p(fitted, text) < 0.2
    assert p(fitted, "customs officers met") > 0.7
    assert p(fitted, "a farmer planted rice") < 0.3


def test_each_class_weighs_half_however_many_items_it_has() -> None:
    """Five copies of every unrelated item fit the same numbers as one copy: each class
    weighs half of the whole, so a set of mostly unrelated items does not teach 'unrelated'."""
    once = fit(examples(RELEVANT, UNRELATED), bits=BITS)
    five = fit(examples(RELEVANT, UNRELATED * 5), bits=BITS)
    for text in ["customs officers", "a farmer", "city 3 village 4", "nothing known"]:
        assert p(five, text) == pytest.approx(p(once, text), abs=1e-4)
    assert p(five, "customs officers met") > 0.7


def test_an_items_weight_counts() -> None:
    """An item of weight 5 moves its words further than the same item of weight 1."""
    relevant = [Example(features("alpha signal"), 1, 5.0), Example(features("beta signal"), 1)]
    unrelated = [Example(features("gamma noise"), 0), Example(features("delta noise"), 0)]
    fitted = fit(relevant + unrelated, bits=BITS)
    assert p(fitted, "alpha") > p(fitted, "beta") > 0.5
    even = fit([Example(e.features, e.label) for e in relevant] + unrelated, bits=BITS)
    assert p(even, "alpha") == pytest.approx(p(even, "beta"), abs=1e-3)


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_one_class_only_is_refused(labels: list[int]) -> None:
    """Training needs relevant and unrelated items; anything else is a ValueError."""
    with pytest.raises(ValueError, match="needs relevant and unrelated items"):
        fit([Example(features(f"item {n}"), label) for n, label in enumerate(labels)], bits=BITS)


def test_items_without_a_single_word_train_only_the_bias() -> None:
    """Items of punctuation only have no features: the fit leaves the bias at the classes'
    balance instead of failing on an empty reduction."""
    fitted = fit([Example(features("!!!"), 1), Example(features("???"), 0)], bits=BITS)
    assert not fitted.weights.any()
    assert p(fitted, "anything") == pytest.approx(0.5, abs=1e-6)


def test_predict_agrees_with_the_shipped_model() -> None:
    """The numbers written to a file and read back predict what the fitted numbers predict."""
    fitted = fit(examples(RELEVANT, UNRELATED), bits=BITS)
    model = decode(encode(fitted.bits, fitted.bias, fitted.weights))
    for text in [*RELEVANT[:2], *UNRELATED[:2], "customs farmer", "", "unseen words only"]:
        found = model.features(text)
        assert model.probability(found) == pytest.approx(predict(fitted, found), abs=1e-9)


def test_a_prior_is_updated_not_forgotten() -> None:
    """With a prior, new examples move the weights of their own words and leave every other
    weight as it was; a strong hold keeps the prior almost whole, a weak one learns the new
    items; a prior of other bits is refused."""
    prior = fit(examples(RELEVANT, UNRELATED), bits=BITS)
    news = examples(
        [f"envoys signed a pact in town {n}" for n in range(4)],
        [f"a storm hit the coast near town {n}" for n in range(4)],
    )
    seen = {int(i) for e in news for i in e.features.ids}
    for l2, moved in ((0.03, True), (100.0, False)):
        updated = fit(news, bits=BITS, l2=l2, prior=prior)
        untouched = [i for i in range(2**BITS) if i not in seen]
        assert (updated.weights[untouched] == prior.weights[untouched]).all()
        assert p(updated, "customs officers met") > 0.7  # the prior's knowledge stays
        if moved:
            assert p(updated, "envoys signed a pact") > p(prior, "envoys signed a pact") + 0.1
            assert p(updated, "a storm hit the coast") < p(prior, "a storm hit the coast") - 0.1
        else:
            assert p(updated, "envoys signed a pact") == pytest.approx(
                p(prior, "envoys signed a pact"), abs=0.02
            )
    with pytest.raises(ValueError, match="12-bit"):
        fit(news, bits=BITS + 1, prior=prior)
