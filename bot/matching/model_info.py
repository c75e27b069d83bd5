"""What an operator is told about a topic's text model: the file, the blend, and where the
model came from, from the record `narcowatch train --write` leaves beside it.

Pure: the caller reads the record (bot.matching.loader.model_record). Only numbers, dates and
file names are in a record, never the items' text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.matching.spec import TopicSpec


def model_summary(spec: TopicSpec, record: Mapping[str, Any]) -> tuple[str, str] | None:
    """What the topic's text model is and where it came from, or None when it has none, e.g.
    ("text model x.model.npz (2^16 features), blend 0.50, threshold 0.49", "trained
    2026-12-07 10:06 UTC on 605 labelled items from 4 files (cross-validated F1 0.96)")."""
    model = spec.model
    if model is None:
        return None
    size = f" (2^{model.loaded.bits} features)" if model.loaded is not None else ""
    what = (
        f"text model {model.file}{size}, blend {model.weight:.2f}, threshold {spec.threshold:.2f}"
    )
    if not record:
        return what, "no record beside it: when and from what it was trained is unknown"
    recorded = _recorded_digest(record)
    if model.loaded is not None and recorded is not None and recorded != model.loaded.digest:
        return what, (
            f"its record describes another model file (sha256 {recorded[:12]}...): when and "
            "from what this one was trained is unknown"
        )
    return what, _origin(record)


def _recorded_digest(record: Mapping[str, Any]) -> str | None:
    model = record.get("model")
    digest = model.get("sha256") if isinstance(model, Mapping) else None
    return digest if isinstance(digest, str) else None


def _origin(record: Mapping[str, Any]) -> str:
    """When and from what: the last training, and the updates from verdicts after it."""
    updates, verdicts, first = 0, 0, record
    while isinstance(first.get("updated_from"), Mapping):
        updates += 1
        verdicts += _count(first.get("feedback_verdicts"))
        first = first["updated_from"]
    said = f"trained {_when(first.get('trained_at'))}"
    judged = _count(first.get("feedback_verdicts"))
    labelled = max(0, _count(first.get("items")) - judged)  # the items count the verdicts too
    files = first.get("files")
    sources = []
    if labelled:
        sources.append(f"{labelled} labelled item{'s' * (labelled != 1)}")
        if isinstance(files, list) and files:
            sources[-1] += f" from {len(files)} file{'s' * (len(files) != 1)}"
    if judged:
        sources.append(f"{judged} subscriber verdict{'s' * (judged != 1)}")
    if sources:
        said += " on " + " and ".join(sources)
    f1 = _cross_validated_f1(first)  # an update's own figures are on its verdicts alone
    if f1 is not None:
        said += f" (cross-validated F1 {f1:.2f})"
    if updates:
        times = "once" if updates == 1 else f"{updates} times"
        last = _when(record.get("trained_at"))
        said += f", updated {times} from {verdicts} subscriber verdicts (last {last})"
    return said


def recorded_time(value: object) -> datetime | None:
    """A date as a record holds it (`trained_at`: ISO 8601 text), in UTC; None for anything
    else, since a record may be hand-edited or written by another tool."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 at +01:00 is before year 1 UTC
        return None


def said_when(at: datetime | None) -> str:
    """A training's time as operators are told it."""
    return f"{at:%Y-%m-%d %H:%M} UTC" if at is not None else "at an unknown time"


def _when(value: object) -> str:
    return said_when(recorded_time(value))


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _cross_validated_f1(record: Mapping[str, Any]) -> float | None:
    try:
        f1 = record["cross_validated"]["with_model"]["overall"]["f1"]
    except (KeyError, TypeError):
        return None
    return float(f1) if isinstance(f1, int | float) and not isinstance(f1, bool) else None
