"""Source health: which sources became unhealthy or recovered since admins were last told."""

from __future__ import annotations

import json
import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.core.render import esc, shorten, tg_length

GAPS_KEPT = 16  # recent gaps between new items; their median is the source's usual rhythm
MIN_GAPS = 3  # fewer than this and the rhythm is unknown: only the floor applies
MESSAGE_LIMIT = 4000

TransitionKind = Literal["unhealthy", "recovered", "cleared"]


class WatchedSource(Protocol):
    """A source row as health needs it (`bot.storage.records.SourceHealth` is one)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def paused(self) -> bool: ...
    @property
    def disabled_reason(self) -> str | None: ...
    @property
    def consecutive_failures(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def last_success_at(self) -> datetime | None: ...
    @property
    def last_new_item_at(self) -> datetime | None: ...
    @property
    def health_reported(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    """When a source counts as unhealthy."""

    max_failures: int = 5
    min_silence_s: float = 7 * 86400.0
    silence_factor: float = 10.0
    # Reasons an operator disabled a source on purpose: not worth an alarm.
    operator_reasons: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PostingHistory:
    """What we know of a source's posting rhythm: when watching began, the last new item, gaps."""

    since: datetime
    last_new_item_at: datetime | None = None
    gaps: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    """A change admins hear about once: unhealthy, recovered, or quietly cleared (paused)."""

    source_id: int
    name: str
    kind: TransitionKind
    reason: str = ""


def observe(
    history: PostingHistory | None, last_new_item_at: datetime | None, now: datetime
) -> PostingHistory:
    """The history after seeing the row's `last_new_item_at` now; a later value adds a gap."""
    if history is None:
        return PostingHistory(since=now, last_new_item_at=last_new_item_at)
    previous = history.last_new_item_at
    if last_new_item_at is None or last_new_item_at == previous:
        return history
    gaps = history.gaps
    if previous is not None and last_new_item_at > previous:
        gaps = (*gaps, (last_new_item_at - previous).total_seconds())[-GAPS_KEPT:]
    return PostingHistory(history.since, last_new_item_at, gaps)


def typical_gap(history: PostingHistory) -> float | None:
    """The median gap between new items, once enough are known."""
    if len(history.gaps) < MIN_GAPS:
        return None
    return float(statistics.median(history.gaps))


def silence_limit(history: PostingHistory, thresholds: HealthThresholds) -> float:
    """Seconds without a new item before a source counts as silent."""
    gap = typical_gap(history)
    if gap is None:
        return thresholds.min_silence_s
    return max(thresholds.min_silence_s, thresholds.silence_factor * gap)


def watched(source: WatchedSource, thresholds: HealthThresholds) -> bool:
    """Paused sources and those an operator disabled are not watched."""
    if source.paused:
        return False
    return source.enabled or source.disabled_reason not in thresholds.operator_reasons


def problem(
    source: WatchedSource, history: PostingHistory, thresholds: HealthThresholds
) -> str | None:
    """Why a watched source is unhealthy, or None when it is fine.

    Silence is measured up to the last successful poll, not to now, so a daemon that was down
    for a week does not find every source silent before it has polled them again.
    """
    if not watched(source, thresholds):
        return None
    if not source.enabled:
        return f"disabled: {source.disabled_reason or 'unknown reason'}"
    if source.consecutive_failures >= thresholds.max_failures:
        error = source.last_error or "unknown error"
        return f"{source.consecutive_failures} failed polls in a row: {error}"
    last_seen = source.last_new_item_at or history.since
    if source.last_success_at is None:
        return None
    silent_s = (source.last_success_at - last_seen).total_seconds()
    limit = silence_limit(history, thresholds)
    if silent_s <= limit:
        return None
    gap = typical_gap(history)
    usual = f", usually every {span(gap)}" if gap is not None else ""
    return f"no new item for {span(silent_s)}{usual}"


def transitions(
    sources: Sequence[WatchedSource],
    histories: Mapping[int, PostingHistory],
    thresholds: HealthThresholds,
) -> list[Transition]:
    """The sources whose health changed since admins were last told (`health_reported`)."""
    found: list[Transition] = []
    for source in sources:
        history = histories.get(source.id)
        if history is None:
            continue
        reason = problem(source, history, thresholds)
        if reason is not None and not source.health_reported:
            found.append(Transition(source.id, source.name, "unhealthy", reason))
        elif reason is None and source.health_reported:
            kind: TransitionKind = "recovered" if watched(source, thresholds) else "cleared"
            found.append(Transition(source.id, source.name, kind))
    return found


def unhealthy_count(
    sources: Sequence[WatchedSource],
    histories: Mapping[int, PostingHistory],
    thresholds: HealthThresholds,
) -> int:
    """How many sources are unhealthy right now (for the metrics gauge)."""
    return sum(
        1
        for source in sources
        if source.id in histories and problem(source, histories[source.id], thresholds)
    )


def span(seconds: float) -> str:
    """`45s`, `12m`, `5h`, `9d`: a duration at the coarsest sensible unit."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size or (unit == "m" and seconds >= size):
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def render_transitions(found: Sequence[Transition], *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Telegram HTML messages for admins: one line per transition, split to fit a message.

    Batched rather than a message per source: a network outage turns hundreds of sources
    unhealthy at once, and a message each would run into Telegram's 1 message/s per chat.
    """
    lines = [_line(t) for t in found if t.kind != "cleared"]
    messages: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and tg_length("\n".join([*current, line])) > limit:
            messages.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        messages.append("\n".join(current))
    return messages


def _line(transition: Transition) -> str:
    name = esc(shorten(transition.name, 80))
    if transition.kind == "unhealthy":
        reason = esc(shorten(transition.reason, 300))
        return f"⚠️ <b>Source unhealthy</b>: {transition.source_id}. {name} — {reason}"
    return f"✅ <b>Source recovered</b>: {transition.source_id}. {name}"


def status_line(sources: Sequence[WatchedSource]) -> str:
    """`Sources: 12 watched, 2 failing (UNODC, Reuters)` for /status."""
    active = [s for s in sources if s.enabled and not s.paused]
    failing = [s for s in active if s.consecutive_failures > 0]
    reported = [s for s in sources if s.health_reported]
    text = f"Sources: {len(active)} watched, {len(failing)} failing"
    if failing:
        names = ", ".join(esc(shorten(s.name, 40)) for s in failing[:5])
        more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        text += f" ({names}{more})"
    if reported:
        text += f"; {len(reported)} reported unhealthy to admins"
    return text


# --- the histories as one JSON value (kept in the store's meta table) -----------------------


def dump_histories(histories: Mapping[int, PostingHistory]) -> str:
    """The histories as compact JSON, keyed by source id."""
    return json.dumps(
        {
            str(source_id): {
                "since": h.since.isoformat(),
                "last": h.last_new_item_at.isoformat() if h.last_new_item_at else None,
                "gaps": [round(g, 1) for g in h.gaps],
            }
            for source_id, h in sorted(histories.items())
        },
        separators=(",", ":"),
    )


def load_histories(
    text: str | None, *, keep: Collection[int] | None = None
) -> dict[int, PostingHistory]:
    """Histories from `dump_histories` JSON (only ids in `keep` when given); bad JSON is empty."""
    try:
        raw = json.loads(text) if text else {}
        histories = {
            int(key): PostingHistory(
                since=datetime.fromisoformat(value["since"]),
                last_new_item_at=datetime.fromisoformat(value["last"]) if value["last"] else None,
                gaps=tuple(float(g) for g in value["gaps"])[-GAPS_KEPT:],
            )
            for key, value in raw.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}  # a damaged value only costs the rhythm learned so far
    if keep is not None:
        histories = {k: v for k, v in histories.items() if k in keep}
    return histories
