"""What subscribers' verdicts hold for a topic's text model: how many came since it was
trained, and when that is worth telling admins (`narcowatch train --feedback` updates the
model with them; bot.matching.model_fit.UPDATE_L2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.render import esc

NUDGE_AT = 30
"""Verdicts since a model was trained at which admins are told an update is worth running:
in simulation, 26 and 38 verdicts of one half of a held-back set of new outlets raised English
F1 on the other half from 0.74 to 0.82 and from 0.88 to 0.92. An update needs at least 10,
two or more of each label."""
UPDATE_COMMAND = "<code>narcowatch train --feedback --write</code>"


@dataclass(frozen=True, slots=True)
class ModelFeedback:
    """The verdicts on one topic given since its text model was trained."""

    topic: str
    model: str
    """The model's sha256: what admins were told about is remembered by it."""
    trained_at: datetime
    relevant: int
    """Alerts judged relevant (by majority)."""
    not_relevant: int
    missed: int
    """Items reported with /missed (relevant)."""

    @property
    def judged(self) -> int:
        return self.relevant + self.not_relevant

    @property
    def worth_updating(self) -> bool:
        """Enough verdicts, of both labels, for an update to be worth an admin's time."""
        positives = self.relevant + self.missed
        return self.judged + self.missed >= NUDGE_AT and positives >= 2 and self.not_relevant >= 2


def nudge_message(found: ModelFeedback) -> str:
    """The Telegram HTML message that tells admins a topic's model has verdicts to learn."""
    return (
        f"<b>{esc(found.topic)}</b>: {found.judged + found.missed} verdicts since its text model "
        f"was trained ({found.trained_at:%Y-%m-%d}): {found.judged} alerts judged, "
        f"{found.missed} items reported missed. {UPDATE_COMMAND} updates the model with them."
    )


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One topic's text model as admins ask about it (/models)."""

    topic: str
    summary: tuple[str, str] | None
    """What the model is and where it came from (bot.matching.model_info); None: rules only."""
    feedback: ModelFeedback | None
    """The verdicts given since it was trained; None when its record gives no date."""


def models_message(statuses: Sequence[ModelStatus]) -> str:
    """The Telegram HTML answer to /models: each topic's model, and what the verdicts since
    its training hold for the next update."""
    lines = ["<b>Text models</b>"]
    for status in statuses:
        lines.append("")
        if status.summary is None:
            lines.append(f"<b>{esc(status.topic)}</b>: rules only, no text model")
            continue
        what, origin = status.summary
        lines.append(f"<b>{esc(status.topic)}</b>: {esc(what)}")
        lines.append(esc(origin))
        lines.append(_since(status.feedback))
    return "\n".join(lines)


def _since(found: ModelFeedback | None) -> str:
    if found is None:
        return "Verdicts since its training: unknown (its record gives no date)."
    counted = (
        f"Since then: {found.judged} alerts judged ({found.relevant} relevant, "
        f"{found.not_relevant} not), {found.missed} items reported missed"
    )
    if found.worth_updating:
        return f"{counted}: worth an update, {UPDATE_COMMAND}."
    return f"{counted}; an update is worth running from {NUDGE_AT}, two or more of each label."
