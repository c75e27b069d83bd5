"""The text model of a topic: a logistic regression over hashed text features, its blend with
the rule score, and which of the item's own phrases pushed it. Plain numbers, no text.

A model is data, like a topic file: `encode`/`decode` turn it into the bytes of a `.npz` file
(numpy arrays only, loaded without pickle) and back; predicting touches nothing else.
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.models import MODEL_REASON
from bot.matching.textfeatures import (
    FEATURE_VERSION,
    Batch,
    TextFeatures,
    read_texts,
    text_features,
)

FORMAT = 1
"""Version of the file layout (the arrays and their meaning)."""
PHRASES = 3
"""Phrases named in an explanation."""


class ModelFileError(ValueError):
    """A model file that cannot be used, and why."""


@dataclass(frozen=True, slots=True, eq=False)
class TextModel:
    """Weights over 2**bits hashed features and a bias; P(relevant) = sigmoid(bias + w.x)."""

    bits: int
    bias: float
    weights: npt.NDArray[np.float32]
    digest: str
    """sha256 of the file the model came from: what `==` compares (arrays do not compare)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextModel) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def features(self, text: str) -> TextFeatures:
        """The features of a folded text as this model hashes them."""
        return text_features(text, bits=self.bits)

    def probability(self, found: TextFeatures) -> float:
        """P(relevant) from the text alone."""
        if not len(found.ids):
            return _sigmoid(self.bias)
        weights = self.weights[found.ids]
        return _sigmoid(self.bias + float(weights.sum(dtype=np.float64)) * found.value)

    def read(self, texts: Sequence[str]) -> list[Reading]:
        """What the model makes of each folded text: P(relevant), and the phrases behind it
        when asked. The texts are read together (numpy's cost per call shared by all)."""
        readings: list[Reading] = []
        for batch in read_texts(texts, bits=self.bits):
            weights = self.weights[batch.ids]
            sums = np.bincount(batch.owner, weights=weights, minlength=batch.size)
            counts = np.maximum(batch.count, 1)
            logits = self.bias + sums / np.sqrt(counts)
            probabilities = 0.5 * (1.0 + np.tanh(0.5 * logits))
            # What each occurrence would weigh in an explanation, for the whole batch at once
            # (per text, these few numpy calls cost more than the text's whole reading).
            strengths = _strengths(weights, batch.starts, batch.stops)
            readings += [
                Reading(batch, i, p, strengths) for i, p in enumerate(probabilities.tolist())
            ]
        return readings

    def phrases(self, found: TextFeatures, text: str, *, up: bool) -> list[str]:
        """The item's phrases that pushed the probability most up (or down), strongest first."""
        if not len(found.ids):
            return []
        strengths = _strengths(self.weights[found.ids], found.starts, found.stops)
        return _strongest(strengths if up else -strengths, found.starts, found.stops, text)


def _strengths(
    weights: npt.NDArray[np.float32], starts: npt.NDArray[np.int64], stops: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """How strongly each occurrence's phrase is worth naming: its weight, but a phrase shorter
    than four letters is rarely worth showing (see _telling): its occurrences compete only when
    nothing longer pushed."""
    return np.where(stops - starts >= 4, weights, weights * np.float32(1e-3))


def _strongest(
    push: npt.NDArray[np.float32],
    starts: npt.NDArray[np.int64],
    stops: npt.NDArray[np.int64],
    text: str,
) -> list[str]:
    """The phrases text[start:stop] that pushed most, strongest first."""
    wanted = 3 * PHRASES  # a few spare: repeats and "for the" are skipped
    if len(push) > 4 * wanted:  # a long text: only its strongest few are sorted
        # Everything at least as strong as the wanted-th, ties included, so the choice
        # does not depend on how numpy's partition breaks them.
        against = -push
        cut = np.partition(against, wanted)[wanted]
        order = np.flatnonzero(against <= cut)
        push, starts, stops = push[order], starts[order], stops[order]
    # Strongest first; among equals, the one said first, then the shorter (then the one read
    # first: the sort is on tuples, so the last item of each breaks what ties remain).
    ranked = sorted(
        zip(
            (-push).tolist(),
            starts.tolist(),
            stops.tolist(),
            range(len(push)),
            strict=True,
        )
    )[:wanted]
    said: list[str] = []
    for against_k, start, stop, _ in ranked:
        if against_k >= 0 or len(said) == PHRASES:
            break
        phrase = " ".join(text[start:stop].split())
        if _telling(phrase) and phrase not in said:
            said.append(phrase)
    return said


@dataclass(frozen=True, slots=True)
class Reading:
    """The model's reading of one text of a batch."""

    batch: Batch
    index: int
    probability: float
    strengths: npt.NDArray[np.float32]
    """How strongly each occurrence of the batch is worth naming (`_strengths`)."""

    def phrases(self, *, up: bool) -> list[str]:
        """The text's phrases that pushed the probability most up (or down)."""
        lo, hi = self.batch.bounds(self.index)
        if lo == hi:
            return []
        strengths = self.strengths[lo:hi]
        batch = self.batch
        return _strongest(
            strengths if up else -strengths,
            batch.starts[lo:hi],
            batch.stops[lo:hi],
            batch.text,
        )


def _telling(phrase: str) -> bool:
    """Whether a phrase is worth showing: it has a word of four letters or more (not "to",
    "и", "for the") or two Chinese characters, and is not a number."""
    if not phrase or phrase.isdigit():
        return False
    if phrase[0] >= "\u2e80":
        return len(phrase) >= 2
    return any(len(word) >= 4 and not word.isdigit() for word in phrase.split())


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True, slots=True)
class Blend:
    """What the model did to one item's score."""

    probability: float
    score: float
    """The blended score: (1 - weight) x rules + weight x probability."""
    added: float
    """score minus the rule score (negative when the model pulled it down)."""
    phrases: tuple[str, ...]

    def reason(self) -> str:
        """The line an explanation shows, e.g. `text model +0.21 ("anti drug", "jointly")`."""
        quoted = ", ".join(f"“{p}”" for p in self.phrases)
        said = f" ({quoted})" if quoted else ""
        return f"{MODEL_REASON}{self.added:+.2f}{said}: P(relevant) {self.probability:.2f}"


def blend(
    reading: Reading, rule_score: float, weight: float, *, quiet_below: float | None = None
) -> Blend:
    """The rule score blended with the model's probability, and the phrases behind the change
    (left out when the blended score stays below `quiet_below`: an unmatched item whose
    explanation nobody will read, where finding them was a seventh of the scoring time)."""
    probability = reading.probability
    score = (1.0 - weight) * rule_score + weight * probability
    added = score - rule_score
    quiet = quiet_below is not None and score < quiet_below
    phrases = reading.phrases(up=added >= 0) if abs(added) >= 0.005 and not quiet else []
    return Blend(probability, score, added, tuple(phrases))


def encode(model_bits: int, bias: float, weights: npt.NDArray[np.float32]) -> bytes:
    """The `.npz` bytes of a model: the non-zero weights by bucket, and the numbers to read them."""
    buckets = np.flatnonzero(weights).astype(np.uint32)
    out = io.BytesIO()
    np.savez_compressed(
        out,
        format=np.array(FORMAT),
        feature_version=np.array(FEATURE_VERSION),
        bits=np.array(model_bits),
        bias=np.array(bias, dtype=np.float64),
        buckets=buckets,
        weights=weights[buckets].astype(np.float32),
    )
    return out.getvalue()


def decode(data: bytes) -> TextModel:
    """A model from `.npz` bytes; ModelFileError when they are not one this program reads."""
    if not data.startswith(b"PK"):
        # np.load would take a bare .npy array, or try pickle and advise loading it unsafely.
        raise ModelFileError("not a model file: a model is an .npz archive of numpy arrays")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            fields = {name: arrays[name] for name in arrays.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"not a model file (.npz of numbers): {exc}") from exc
    missing = {"format", "feature_version", "bits", "bias", "buckets", "weights"} - set(fields)
    if missing:
        raise ModelFileError(f"not a model file: no {', '.join(sorted(missing))}")
    for name in ("format", "feature_version", "bits", "bias"):
        kinds = "iuf" if name == "bias" else "iu"
        if not _numbers(fields[name], kinds, ndim=0):
            raise ModelFileError(f"model {name} is not a single number of the right kind")
    if int(fields["format"]) != FORMAT:
        raise ModelFileError(
            f"model file format {int(fields['format'])}, this program reads {FORMAT}"
        )
    if int(fields["feature_version"]) != FEATURE_VERSION:
        raise ModelFileError(
            f"model trained on features of version {int(fields['feature_version'])}, this "
            f"program makes version {FEATURE_VERSION}: train it again (narcowatch train --write)"
        )
    bits = int(fields["bits"])
    if not 8 <= bits <= 24:
        raise ModelFileError(f"model has {bits} feature bits; 8 to 24 are allowed")
    buckets, values = fields["buckets"], fields["weights"]
    if not _numbers(buckets, "iu", ndim=1) or not _numbers(values, "f", ndim=1):
        raise ModelFileError("model buckets must be a row of whole numbers, its weights of floats")
    if buckets.shape != values.shape:
        raise ModelFileError("model buckets and weights differ in shape")
    if len(buckets) and (int(buckets.min()) < 0 or int(buckets.max()) >= 1 << bits):
        raise ModelFileError(f"model has a bucket outside its 2^{bits} features")
    if not np.isfinite(values).all() or not math.isfinite(float(fields["bias"])):
        raise ModelFileError("model has a weight that is not a finite number")
    weights = np.zeros(1 << bits, dtype=np.float32)
    weights[buckets.astype(np.int64)] = values
    digest = hashlib.sha256(data).hexdigest()
    return TextModel(bits=bits, bias=float(fields["bias"]), weights=weights, digest=digest)


def _numbers(value: object, kinds: str, *, ndim: int) -> bool:
    """Whether an archive member is a numpy array of `ndim` dimensions of these dtype kinds
    (a member not named .npy comes back as raw bytes)."""
    return isinstance(value, np.ndarray) and value.ndim == ndim and value.dtype.kind in kinds
