"""Fitting the text model: L2-regularised logistic regression over hashed features, in numpy.

A pure function from labelled texts to numbers. Classes are weighed equally (the labelled sets
hold more unrelated items than relevant ones), and each item may carry a weight of its own
(a subscriber's verdict, a headline-only copy of a labelled item).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.matching.textfeatures import TextFeatures

BITS = 16
"""2**16 buckets: 256 KB of float32, small enough to stay in the processor's cache beside the
automaton (2**18 cost a third more time per item in the matcher, from cache misses alone),
and as good: cross-validated mean F1 0.968 at 14, 16 and 18 bits on the labelled sets."""
L2 = 0.002
"""Penalty on the squared weights (per unit of item weight), chosen by cross-validation
on the labelled sets: weaker fits the training outlets' wording, stronger learns little."""
ITERATIONS = 600


@dataclass(frozen=True, slots=True)
class Example:
    """One training item: its features, label and weight."""

    features: TextFeatures
    label: int
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Fitted:
    """The learned numbers."""

    bits: int
    bias: float
    weights: npt.NDArray[np.float32]


def fit(
    examples: Sequence[Example],
    *,
    bits: int = BITS,
    l2: float = L2,
    prior: Fitted | None = None,
) -> Fitted:
    """The weights minimising weighted log-loss plus l2/2 x |w - prior|^2 (the prior is zero
    when none is given), by accelerated gradient descent (the problem is convex and small: a
    few hundred items, tens of thousands of features seen).

    With a prior (a model trained before), the examples update it: features they do not
    contain keep the prior's weights, and those they do move from the prior only as far as
    the examples pull them against `l2` (the bias too)."""
    labels = np.array([e.label for e in examples], dtype=np.float64)
    if not len(examples) or labels.min() == labels.max():
        raise ValueError("training needs relevant and unrelated items")
    sample = np.array([e.weight for e in examples], dtype=np.float64)
    for label in (0.0, 1.0):  # each class weighs half of the whole
        chosen = labels == label
        sample[chosen] *= 0.5 / sample[chosen].sum()
    rows = np.repeat(np.arange(len(examples)), [len(e.features.ids) for e in examples])

    buckets = np.concatenate([e.features.ids for e in examples])
    sizes = [len(e.features.ids) for e in examples]
    row_value = np.array([e.features.value for e in examples])
    values = np.repeat(row_value, sizes)
    columns, cols = np.unique(buckets, return_inverse=True)
    if len(columns) and int(columns[-1]) >= 1 << bits:
        raise ValueError(f"features hashed to {int(columns[-1])}, beyond {bits} bits")
    n_rows, n_cols = len(examples), len(columns)
    if prior is not None and prior.bits != bits:
        raise ValueError(f"the prior has {prior.bits}-bit features, not {bits}")
    start_w = prior.weights[columns].astype(np.float64) if prior is not None else np.zeros(n_cols)
    start_b = prior.bias if prior is not None else 0.0
    anchor_b = l2 if prior is not None else 0.0  # without a prior, the bias is free

    def margins(w: npt.NDArray[np.float64], b: float) -> npt.NDArray[np.float64]:
        sums = np.bincount(rows, weights=values * w[cols], minlength=n_rows)
        return sums.astype(np.float64) + b

    def gradient(w: npt.NDArray[np.float64], b: float) -> tuple[npt.NDArray[np.float64], float]:
        residual = sample * (_sigmoid(margins(w, b)) - labels)
        grad_w = np.bincount(cols, weights=values * residual[rows], minlength=n_cols)
        return grad_w + l2 * (w - start_w), float(residual.sum()) + anchor_b * (b - start_b)

    # Item weights sum to 1, so the log-loss gradient is Lipschitz with 1/4 of the longest
    # row's squared length (the bias counts as one more feature of value 1).
    pairs, counts = np.unique(rows * n_cols + cols, return_counts=True)
    owner = pairs // n_cols
    lengths = np.bincount(owner, weights=(counts * row_value[owner]) ** 2)
    # (initial=0: items without a single word leave the bias alone to learn.)
    step = 1.0 / (0.25 * (float(lengths.max(initial=0.0)) + 1.0) + l2)
    w = start_w.copy()
    b = start_b
    w_prev, b_prev = w, b
    for k in range(1, ITERATIONS + 1):
        momentum = (k - 1) / (k + 2)
        y_w = w + momentum * (w - w_prev)
        y_b = b + momentum * (b - b_prev)
        g_w, g_b = gradient(y_w, y_b)
        w_prev, b_prev = w, b
        w, b = y_w - step * g_w, y_b - step * g_b
    weights = prior.weights.copy() if prior else np.zeros(1 << bits, dtype=np.float32)
    weights[columns] = w.astype(np.float32)
    return Fitted(bits=bits, bias=b, weights=weights)


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def predict(fitted: Fitted, features: TextFeatures) -> float:
    """P(relevant) under freshly fitted numbers (the shipped model does the same through
    bot.matching.textmodel.TextModel)."""
    if not len(features.ids):
        return float(_sigmoid(np.array(fitted.bias)))
    logit = fitted.bias + float(fitted.weights[features.ids].sum(dtype=np.float64)) * features.value
    return float(_sigmoid(np.array(logit)))
