"""Fits a topic's numbers (threshold, group weights, bonuses, term weights) to labelled items.

Coordinate search with k-fold cross-validation: each knob is moved a step or two at a time,
and a move is kept only when it raises the mean F1 over languages by more than its cost (a
small penalty per step away from the current value, so the numbers people wrote stay unless
the data argues). The tuner never adds or removes terms: people write terms, it weighs them.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.matching.crossval import FOLDS, Metrics, assign_folds, mean_f1, tally
from bot.matching.engine import compile_topics
from bot.matching.evaluate import Labelled
from bot.matching.model_fit import out_of_fold
from bot.matching.spec import TopicSpec

Loc = tuple[str | int, ...]

THRESHOLD: Loc = ("threshold",)
MODEL_WEIGHT: Loc = ("model", "weight")
STEP_COST = 0.002
"""Mean F1 a one-step move must gain to be kept (about one item in three hundred)."""
THRESHOLD_RANGE = 0.25
MIN_TERM_SUPPORT = 10
"""A term's weight is tuned only when it occurs in this many items."""
MAX_TERM_KNOBS = 8
PASSES = 2


@dataclass(frozen=True, slots=True)
class Knob:
    """One number of the topic the tuner may move, where it is in the file, and its bounds."""

    loc: Loc
    name: str
    value: float
    low: float
    high: float
    step: float
    relative: bool = False
    """Term weights move by factors (x0.5 .. x1.5), other numbers by steps."""

    def candidates(self, current: float) -> list[float]:
        """Values one move away from `current`, within bounds."""
        if self.relative:
            raw = [current * f for f in (0.5, 0.75, 1.25, 1.5)]
        else:
            raw = [current + d * self.step for d in (-2, -1, 1, 2)]
        values = {round(min(self.high, max(self.low, v)), 3) for v in raw}
        values.discard(round(current, 3))
        return sorted(values)

    def cost(self, value: float) -> float:
        """Steps away from the value in the file."""
        if self.relative:
            return abs(math.log(value / self.value)) / math.log(1.25)
        return abs(value - self.value) / self.step


@dataclass(frozen=True, slots=True)
class Change:
    """A number the tuner suggests changing."""

    knob: Knob
    new: float


@dataclass(slots=True)
class TuneResult:
    """Before, cross-validated after, and the numbers fitted on all items."""

    topic: str
    items: int
    folds: int
    before: Metrics
    after: Metrics
    changes: list[Change]
    knobs: list[Knob]
    gain: float
    """Cross-validated mean F1 over languages, after minus before."""


def get_number(data: Any, loc: Loc) -> float | None:
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def spec_with(spec: TopicSpec, values: Mapping[Loc, float]) -> TopicSpec:
    """The topic with the numbers at `values` replaced (validated again)."""
    data = spec.model_dump(mode="json")
    for loc, value in values.items():
        node: Any = data
        for key in loc[:-1]:
            node = node[key]
        node[loc[-1]] = value
    return TopicSpec.model_validate(data)


def find_knobs(
    spec: TopicSpec,
    written: Collection[Loc],
    rows: Sequence[Labelled],
) -> list[Knob]:
    """The numbers worth tuning that the topic file itself writes down (so that `--write`
    only ever edits a number in place): group weights, evidence a required group needs and
    at which it saturates, the title boost and repeat weight, bonuses, the exclusion
    penalty, and the explicit weights of terms that occur in enough of the items."""
    knobs: list[Knob] = []
    data = spec.model_dump(mode="json")

    def add(loc: Loc, name: str, low: float, high: float, step: float, **kw: Any) -> None:
        value = get_number(data, loc)
        if loc in written and value is not None:
            knobs.append(Knob(loc, name, value, low, high, step, **kw))

    for group in spec.groups:
        add(("groups", group, "weight"), f"groups.{group}.weight", 0.0, 1.0, 0.05)
        add(("groups", group, "min_evidence"), f"groups.{group}.min_evidence", 0.25, 5.0, 0.25)
        add(("groups", group, "saturation"), f"groups.{group}.saturation", 0.5, 10.0, 0.5)
    add(("title_boost",), "title_boost", 1.0, 4.0, 0.5)
    add(("repeat_weight",), "repeat_weight", 0.0, 1.0, 0.1)
    add(("proximity", "bonus"), "proximity.bonus", 0.0, 0.5, 0.05)
    add(("cross_border", "bonus"), "cross_border.bonus", 0.0, 0.5, 0.05)
    add(("exclusions", "penalty"), "exclusions.penalty", 0.0, 0.5, 0.05)
    add(("cross_border", "country_evidence"), "cross_border.country_evidence", 0.0, 2.0, 0.25)
    if spec.model is not None and spec.model.loaded is not None:
        # The soft gate and the blend: fitted together with everything else.
        add(MODEL_WEIGHT, "model.weight", 0.0, 1.0, 0.05)
        add(("missing_required_factor",), "missing_required_factor", 0.0, 1.0, 0.05)
    support = term_support(spec, rows)
    terms: list[tuple[int, Loc, str]] = []
    for group, gspec in spec.groups.items():
        for lang, specs in gspec.terms.items():
            for i, term in enumerate(specs):
                loc: Loc = ("groups", group, "terms", lang, i, "weight")
                seen = support.get((term.name, group), 0)
                if loc in written and seen >= MIN_TERM_SUPPORT:
                    terms.append((seen, loc, f"term {term.name!r} ({group}, {lang}) weight"))
    terms.sort(key=lambda t: -t[0])
    for _, loc, name in terms[:MAX_TERM_KNOBS]:
        add(loc, name, 0.05, 5.0, 0.0, relative=True)
    return knobs


def term_support(spec: TopicSpec, rows: Sequence[Labelled]) -> Counter[tuple[str, str]]:
    """In how many items each (term, group) occurs (labels are not looked at)."""
    matcher = compile_topics([spec])
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        score = matcher.score_for(row.item, spec.id)
        counts.update({(hit.term, hit.group) for hit in score.terms})
    return counts


@dataclass
class Scores:
    """The scores of every row under one set of knob values, threshold aside."""

    score: list[float]
    eligible: list[bool]
    """Required groups present: the item matches once its score reaches the threshold."""


@dataclass
class Tuner:
    """Scores rows under candidate numbers (memoised) and searches the numbers."""

    spec: TopicSpec
    rows: Sequence[Labelled]
    knobs: Sequence[Knob]
    progress: Callable[[str], None] = lambda _message: None
    probabilities: Sequence[float] | None = None
    """The text model's out-of-fold probability per row, when the topic has a model."""
    _cache: dict[tuple[float, ...], Scores] = field(default_factory=dict)

    def scores(self, values: Mapping[Loc, float]) -> Scores:
        key = tuple(values[k.loc] for k in self.knobs)
        found = self._cache.get(key)
        if found is None:
            # With threshold 0 `matched` says whether the required groups are present; an
            # item then matches at threshold t when it is eligible and scores t or more.
            # (spec_with leaves the text model out: these are the rules' scores.)
            spec = spec_with(self.spec, {**values, THRESHOLD: 0.0})
            matcher = compile_topics([spec])
            results = [matcher.score_for(row.item, spec.id) for row in self.rows]
            found = Scores([r.score for r in results], [r.matched for r in results])
            if self.probabilities is not None and self.spec.model is not None:
                # With a model the blend decides, and no item is cut by a missing group.
                weight = values.get(MODEL_WEIGHT, self.spec.model.weight)
                blended = [
                    (1 - weight) * r + weight * p
                    for r, p in zip(found.score, self.probabilities, strict=True)
                ]
                found = Scores(blended, [True] * len(blended))
            self._cache[key] = found
            if len(self._cache) % 50 == 0:
                self.progress(f"{len(self._cache)} candidate settings scored")
        return found

    def objective(self, values: Mapping[Loc, float], subset: Sequence[int]) -> tuple[float, float]:
        """(mean F1 over languages minus the cost of the moves, best threshold) on `subset`."""
        scores = self.scores(values)
        cost = STEP_COST * sum(k.cost(values[k.loc]) for k in self.knobs)
        langs: dict[str, tuple[list[float], list[float], int]] = {}
        for i in subset:
            pos, neg, total = langs.get(self.rows[i].lang, ([], [], 0))
            label = self.rows[i].label
            if scores.eligible[i]:
                (pos if label else neg).append(scores.score[i])
            langs[self.rows[i].lang] = (pos, neg, total + label)
        judged = [(sorted(p), sorted(n), t) for p, n, t in langs.values() if t]
        t0 = self.spec.threshold
        best = (-math.inf, t0)
        low = max(0.01, t0 - THRESHOLD_RANGE)
        steps = round((min(0.99, t0 + THRESHOLD_RANGE) - low) / 0.01)
        for s in range(steps + 1):
            t = round(low + s * 0.01, 2)
            f1s = []
            for pos, neg, total in judged:
                tp = len(pos) - bisect_left(pos, t - 1e-12)
                fp = len(neg) - bisect_left(neg, t - 1e-12)
                f1s.append(2 * tp / (2 * tp + fp + (total - tp)) if tp else 0.0)
            mean = sum(f1s) / len(f1s) if f1s else 0.0
            value = mean - cost - STEP_COST * abs(t - t0) / 0.05
            if value > best[0] + 1e-9 or (abs(value - best[0]) <= 1e-9 and t == t0):
                best = (value, t)
        return best

    def fit(self, subset: Sequence[int]) -> dict[Loc, float]:
        """Coordinate search from the current numbers; returns the fitted values, threshold too."""
        values: dict[Loc, float] = {k.loc: k.value for k in self.knobs}
        best, threshold = self.objective(values, subset)
        for _ in range(PASSES):
            moved = False
            for knob in self.knobs:
                for candidate in knob.candidates(values[knob.loc]):
                    trial = {**values, knob.loc: candidate}
                    value, t = self.objective(trial, subset)
                    if value > best + 1e-9:
                        values, best, threshold, moved = trial, value, t, True
            if not moved:
                break
        return {**values, THRESHOLD: threshold}


def verdicts(spec: TopicSpec, rows: Sequence[Labelled]) -> list[bool]:
    """Whether each row matches the topic as it stands."""
    matcher = compile_topics([spec])
    return [matcher.score_for(row.item, spec.id).matched for row in rows]


def tune(
    spec: TopicSpec,
    rows: Sequence[Labelled],
    written: Collection[Loc],
    *,
    folds: int = FOLDS,
    progress: Callable[[str], None] = lambda _message: None,
) -> TuneResult:
    """Cross-validated figures before and after fitting, and the numbers fitted on all rows.

    Changes are suggested only when the cross-validated mean F1 over languages improves.
    """
    positives = sum(row.label for row in rows)
    folds = max(2, min(folds, positives, len(rows) - positives))
    knobs = find_knobs(spec, written, rows)
    fold_of = assign_folds(rows, folds)
    probabilities = None
    if spec.model is not None and spec.model.loaded is not None:
        # The shipped model may have seen these very rows: judge the blend with models that
        # did not (each row's probability from a model trained on the other folds).
        progress(f"training {folds} text models for cross-validation")
        probabilities = out_of_fold(rows, fold_of, folds)
    tuner = Tuner(spec, rows, knobs, progress=progress, probabilities=probabilities)
    held_out: list[bool] = [False] * len(rows)
    for k in range(folds):
        progress(f"fold {k + 1} of {folds}")
        train = [i for i in range(len(rows)) if fold_of[i] != k]
        fitted = tuner.fit(train)
        scores = tuner.scores(fitted)
        for i in range(len(rows)):
            if fold_of[i] == k:
                held_out[i] = scores.eligible[i] and scores.score[i] >= fitted[THRESHOLD] - 1e-12
    if probabilities is None:
        before = tally(rows, verdicts(spec, rows))
    else:
        now = tuner.scores({knob.loc: knob.value for knob in knobs})
        before = tally(rows, [s >= spec.threshold - 1e-12 for s in now.score])
    after = tally(rows, held_out)
    gain = mean_f1(after) - mean_f1(before)
    changes: list[Change] = []
    if gain > 1e-9:
        progress("fitting on all items")
        final = tuner.fit(range(len(rows)))
        threshold_knob = Knob(THRESHOLD, "threshold", spec.threshold, 0.0, 1.0, 0.01)
        for knob in [threshold_knob, *knobs]:
            new = final[knob.loc]
            if round(new, 3) != round(knob.value, 3):
                changes.append(Change(knob, round(new, 3)))
    return TuneResult(spec.id, len(rows), folds, before, after, changes, knobs, gain)
