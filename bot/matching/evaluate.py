"""Precision, recall and F1 of a topic on labelled items, per language and overall."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.models import Item, TopicScore


@dataclass(frozen=True, slots=True)
class Labelled:
    """An item with its gold label (1: about the topic)."""

    id: str
    lang: str
    label: int
    item: Item
    weight: float = 1.0
    """What the item weighs in training (bot.matching.model_fit.feedback_weight)."""


@dataclass(slots=True)
class Confusion:
    """Counts of one slice of the items."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: int, matched: bool) -> None:
        if matched and label:
            self.tp += 1
        elif matched:
            self.fp += 1
        elif label:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Miss:
    """A false positive or false negative, with what the matcher said."""

    id: str
    lang: str
    label: int
    title: str
    score: TopicScore


@dataclass(slots=True)
class Report:
    """The evaluation of one topic."""

    topic: str
    overall: Confusion = field(default_factory=Confusion)
    by_lang: dict[str, Confusion] = field(default_factory=dict)
    false_positives: list[Miss] = field(default_factory=list)
    false_negatives: list[Miss] = field(default_factory=list)


def evaluate(rows: Iterable[tuple[Labelled, TopicScore]], *, topic: str) -> Report:
    """Tally scored labelled items."""
    report = Report(topic=topic)
    for row, score in rows:
        report.overall.add(row.label, score.matched)
        report.by_lang.setdefault(row.lang, Confusion()).add(row.label, score.matched)
        if score.matched != bool(row.label):
            miss = Miss(row.id, row.lang, row.label, row.item.title, score)
            (report.false_positives if score.matched else report.false_negatives).append(miss)
    return report


def _metrics_line(name: str, c: Confusion) -> str:
    return (
        f"{name:<8} {c.precision:9.3f} {c.recall:7.3f} {c.f1:6.3f}"
        f" {c.tp:5d} {c.fp:5d} {c.fn:5d} {c.tn:5d}"
    )


def _misses(title: str, misses: Sequence[Miss]) -> list[str]:
    lines = [f"{title} ({len(misses)}):"]
    for miss in misses:
        lines.append(f"  {miss.id} [{miss.lang}] score {miss.score.score:.4f}: {miss.title}")
        lines += [f"      - {reason}" for reason in miss.score.reasons]
    return lines


def format_report(report: Report) -> str:
    """The report as text: metrics table, confusion table, and every miss with its reasons."""
    c = report.overall
    lines = [
        f"topic: {report.topic}",
        f"{'':<8} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>5} {'fp':>5} {'fn':>5} {'tn':>5}",
        *(_metrics_line(lang, report.by_lang[lang]) for lang in sorted(report.by_lang)),
        _metrics_line("overall", c),
        "",
        "confusion (rows: label, columns: matched)",
        f"{'':<10} {'matched':>8} {'not':>8}",
        f"{'label 1':<10} {c.tp:8d} {c.fn:8d}",
        f"{'label 0':<10} {c.fp:8d} {c.tn:8d}",
        "",
        *_misses("false positives", report.false_positives),
        *_misses("false negatives", report.false_negatives),
    ]
    return "\n".join(lines)
