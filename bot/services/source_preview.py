"""`sources test`: what a poll of one source would do with each item, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Item, TopicScore
from bot.services.freshness import too_old_to_alert
from bot.services.ports import Scorer


@dataclass(frozen=True, slots=True)
class ItemVerdict:
    """One item, its score per topic the source feeds, whether it would alert, and why not."""

    item: Item
    scores: tuple[TopicScore, ...]
    alert: bool
    why_not: tuple[str, ...]


def why_unmatched(score: TopicScore) -> str:
    """The reasons of a score that say why it fell short (missing groups, the threshold)."""
    short = [
        reason
        for reason in score.reasons
        if "missing" in reason or "exclu" in reason or "threshold" in reason
    ]
    return f"{score.topic}: " + "; ".join(short or score.reasons[-1:] or ["no match"])


def judge_items(
    items: Sequence[Item],
    scorer: Scorer,
    *,
    topics: tuple[str, ...] | None,
    now: datetime,
    max_item_age_s: float | None,
) -> list[ItemVerdict]:
    """Score every item as the poller would, limited to the source's topics."""
    verdicts = []
    for item in items:
        scores = tuple(s for s in scorer.score(item) if topics is None or s.topic in topics)
        why_not: list[str] = []
        if too_old_to_alert(item, now=now, max_age_s=max_item_age_s):
            dated = item.published.date().isoformat() if item.published else "?"
            why_not.append(f"dated {dated}: older than polling.max_item_age, never alerts")
        if not any(score.matched for score in scores):
            why_not += [why_unmatched(score) for score in scores] or ["the source feeds no topic"]
        verdicts.append(ItemVerdict(item, scores, alert=not why_not, why_not=tuple(why_not)))
    return verdicts
