"""The text model as a file (numbers only, refused with a reason when unusable) and as an
explanation (the item's own telling phrases, in the direction the model moved the score)."""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from bot.matching.textfeatures import FEATURE_VERSION, text_features
from bot.matching.textmodel import (
    FORMAT,
    PHRASES,
    ModelFileError,
    TextModel,
    blend,
    decode,
    encode,
)

BITS = 12


def some_weights() -> npt.NDArray[np.float32]:
    weights = np.zeros(2**BITS, dtype=np.float32)
    weights[[3, 70, 4095]] = [0.5, -1.25, 2.0]
    return weights


def npz(**changes: Any) -> bytes:
    """A model archive as `encode` writes it, with some arrays replaced (None: left out)."""
    fields: dict[str, Any] = {
        "format": np.array(FORMAT),
        "feature_version": np.array(FEATURE_VERSION),
        "bits": np.array(BITS),
        "bias": np.array(0.25),
        "buckets": np.array([3, 70], dtype=np.uint32),
        "weights": np.array([0.5, -1.25], dtype=np.float32),
    }
    fields.update(changes)
    out = io.BytesIO()
    np.savez(out, **{k: v for k, v in fields.items() if v is not None})
    return out.getvalue()


def npy() -> bytes:
    out = io.BytesIO()
    np.save(out, np.arange(4))
    return out.getvalue()


def test_encode_and_decode_round_trip() -> None:
    """Bits, bias and every weight come back; the digest is the file's sha256 and is what
    two models compare by."""
    weights = some_weights()
    data = encode(BITS, -0.75, weights)
    model = decode(data)
    assert (model.bits, model.bias) == (BITS, -0.75)
    assert np.array_equal(model.weights, weights)
    assert model.digest == hashlib.sha256(data).hexdigest()
    assert model == decode(data)
    assert model != decode(encode(BITS, -0.5, weights))


def test_the_file_holds_numbers_only() -> None:
    """The archive's arrays are numeric and none is an object array (nothing to unpickle)."""
    with np.load(io.BytesIO(encode(BITS, 0.0, some_weights())), allow_pickle=False) as arrays:
        kinds = {name: arrays[name].dtype.kind for name in arrays.files}
    assert set(kinds) == {"format", "feature_version", "bits", "bias", "buckets", "weights"}
    assert set(kinds.values()) <= {"i", "u", "f"}


REFUSED: list[tuple[str, Callable[[], bytes], str]] = [
    ("text", lambda: b"model: yes\n", "not a model file: a model is an .npz archive"),
    ("empty", lambda: b"", "not a model file"),
    ("bare .npy", npy, "not a model file: a model is an .npz archive"),
    ("a pickle", lambda: pickle.dumps({"weights": [1.0]}), "not a model file"),
    (
        "a pickled array inside",
        lambda: npz(weights=np.array([{"x": 1}, None], dtype=object)),
        "Object arrays cannot be loaded when allow_pickle=False",
    ),
    ("truncated", lambda: npz()[:200], "not a model file"),
    ("no weights", lambda: npz(weights=None), "not a model file: no weights"),
    ("other format", lambda: npz(format=np.array(FORMAT + 1)), f"format {FORMAT + 1}, this"),
    (
        "other features",
        lambda: npz(feature_version=np.array(FEATURE_VERSION + 1)),
        "train it again (narcowatch train --write)",
    ),
    ("format as text", lambda: npz(format=np.array("one")), "model format is not a single"),
    ("bits as a row", lambda: npz(bits=np.array([12, 12])), "model bits is not a single"),
    ("too few bits", lambda: npz(bits=np.array(4)), "4 feature bits; 8 to 24 are allowed"),
    ("too many bits", lambda: npz(bits=np.array(30)), "30 feature bits; 8 to 24 are allowed"),
    (
        "bucket beyond bits",
        lambda: npz(buckets=np.array([3, 2**BITS], dtype=np.uint32)),
        "bucket outside its 2^12 features",
    ),
    ("negative bucket", lambda: npz(buckets=np.array([3, -1])), "bucket outside its 2^12"),
    ("fractional buckets", lambda: npz(buckets=np.array([3.0, 4.5])), "whole numbers"),
    ("weights as text", lambda: npz(weights=np.array(["a", "b"])), "weights of floats"),
    ("nan weight", lambda: npz(weights=np.array([0.5, np.nan], dtype=np.float32)), "finite"),
    ("infinite bias", lambda: npz(bias=np.array(np.inf)), "not a finite number"),
    (
        "shapes differ",
        lambda: npz(buckets=np.array([3, 70, 71], dtype=np.uint32)),
        "buckets and weights differ in shape",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [(make, message) for _, make, message in REFUSED],
    ids=[name for name, _, _ in REFUSED],
)
def test_unusable_files_are_refused_with_the_reason(
    data: Callable[[], bytes], message: str
) -> None:
    """Anything but a model this program reads is a ModelFileError saying what is wrong,
    never another exception and never a silently wrong model."""
    with pytest.raises(ModelFileError) as caught:
        decode(data())
    assert message in str(caught.value)


def model_of(weights: dict[str, float], *, bias: float = 0.0) -> TextModel:
    """A model whose only non-zero weights are on the buckets of these words (or pair of
    Chinese characters); a long word's stem is left at zero."""
    array = np.zeros(2**BITS, dtype=np.float32)
    for word, weight in weights.items():
        array[text_features(word, bits=BITS).ids[0]] = weight
    return decode(encode(BITS, bias, array))


def test_explanations_quote_the_items_own_telling_phrases() -> None:
    """The phrases are the item's words with the largest weights, strongest first; words
    under four letters and numbers are never named, however heavy."""
    model = model_of({"to": 9.0, "2024": 8.0, "chiefs": 3.0, "narcotics": 2.0, "meet": 1.0})
    text = "narcotics chiefs to meet in 2024 and then again"
    found = model.features(text)
    assert model.phrases(found, text, up=True) == ["chiefs", "narcotics", "meet"]
    assert len(model.phrases(found, text, up=True)) == PHRASES


def test_chinese_phrases_of_two_characters_are_telling() -> None:
    """A pair of Chinese characters is a phrase worth naming."""
    model = model_of({"禁毒": 2.0})
    text = "中老禁毒合作"
    found = model.features(text)
    assert model.phrases(found, text, up=True) == ["禁毒"]


def test_the_phrases_follow_the_direction_the_score_moved() -> None:
    """When the model lifts the score it names the words that pushed up; when it lowers it,
    the words that pulled down; a move under half a hundredth names none."""
    model = model_of({"counterparts": 4.0, "farmer": -4.0})
    text = "counterparts and a farmer talk"
    up = blend(model.read([text])[0], 0.1, 0.5)
    assert up.added > 0
    assert up.phrases == ("counterparts",)
    assert up.score == pytest.approx(0.5 * 0.1 + 0.5 * up.probability)
    down = blend(model.read([text])[0], 0.95, 0.5)
    assert down.added < 0
    assert down.phrases == ("farmer",)
    still = blend(model.read([text])[0], up.probability, 0.5)
    assert abs(still.added) < 0.005
    assert still.phrases == ()
    assert still.reason() == f"text model +0.00: P(relevant) {up.probability:.2f}"


def test_the_reason_says_what_the_model_added_and_why() -> None:
    """The reason line reads `text model +0.21 (“a”, “b”): P(relevant) 0.83`."""
    model = model_of({"counterparts": 3.0, "customs": 2.0}, bias=-1.0)
    mixed = blend(model.read(["customs counterparts"])[0], 0.2, 0.4)
    assert mixed.reason() == (
        f"text model {mixed.added:+.2f} (“counterparts”, “customs”): "
        f"P(relevant) {mixed.probability:.2f}"
    )
    assert mixed.reason().startswith("text model +0.")


def test_an_empty_text_gets_the_bias_alone() -> None:
    """No features: the probability is the bias's, and no phrase is named."""
    model = model_of({"counterparts": 3.0}, bias=-2.0)
    found = model.features("")
    assert model.probability(found) == pytest.approx(1 / (1 + np.exp(2.0)))
    assert model.phrases(found, "", up=True) == []
