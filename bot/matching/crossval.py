"""Cross-validation shared by the tuner and model training: folds, and figures per language."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.matching.evaluate import Confusion, Labelled

FOLDS = 5


@dataclass(frozen=True, slots=True)
class Metrics:
    """Precision, recall and F1 per language and overall, of one set of verdicts."""

    by_lang: dict[str, Confusion]
    overall: Confusion


def assign_folds(rows: Sequence[Labelled], folds: int) -> list[int]:
    """A fold per row, stratified by language and label, the same on every run."""
    order = sorted(
        range(len(rows)),
        key=lambda i: (
            rows[i].lang,
            rows[i].label,
            hashlib.sha256(rows[i].id.encode()).hexdigest(),
        ),
    )
    fold = [0] * len(rows)
    for position, i in enumerate(order):
        fold[i] = position % folds
    return fold


def tally(rows: Sequence[Labelled], matched: Sequence[bool]) -> Metrics:
    by_lang: dict[str, Confusion] = {}
    overall = Confusion()
    for row, hit in zip(rows, matched, strict=True):
        by_lang.setdefault(row.lang, Confusion()).add(row.label, hit)
        overall.add(row.label, hit)
    return Metrics(dict(sorted(by_lang.items())), overall)


def mean_f1(metrics: Metrics) -> float:
    judged = [c.f1 for c in metrics.by_lang.values() if c.tp + c.fn]
    return sum(judged) / len(judged) if judged else metrics.overall.f1
