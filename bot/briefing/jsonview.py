"""A briefing as plain JSON-ready data (`narcowatch report --format json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.briefing.model import Briefing, Count, Pair


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _counts(counts: tuple[Count, ...]) -> list[dict[str, Any]]:
    return [{"name": c.name, "count": c.count} for c in counts]


def _pair(pair: Pair) -> dict[str, Any]:
    return {
        "a": pair.a,
        "b": pair.b,
        "a_name": pair.a_name,
        "b_name": pair.b_name,
        "items": pair.items,
        "previous": pair.previous,
        "change": pair.change,
        "stories": [{"id": s.id, "title": s.title, "link": s.link} for s in pair.stories],
    }


def briefing_data(briefing: Briefing) -> dict[str, Any]:
    """Everything the HTML report shows, as data for other tools."""
    return {
        "period": {"start": _iso(briefing.period.start), "end": _iso(briefing.period.end)},
        "topics": list(briefing.topics),
        "places": list(briefing.places),
        "timezone": briefing.timezone,
        "total": briefing.total,
        "previous_total": briefing.previous_total,
        "change": briefing.change,
        "per_day": [{"date": day.isoformat(), "count": n} for day, n in briefing.per_day],
        "countries": _counts(briefing.countries),
        "organisations": _counts(briefing.organisations),
        "sources": _counts(briefing.sources),
        "stories": [
            {
                "id": s.id,
                "title": s.title,
                "link": s.link,
                "sources": list(s.sources),
                "first_seen": _iso(s.first_seen),
                "last_seen": _iso(s.last_seen),
                "score": round(s.score, 4),
                "entities": list(s.entities),
                "terms": list(s.terms),
                "items": s.items,
                "langs": list(s.langs),
                "why": s.why,
            }
            for s in briefing.stories
        ],
        "actors": [{"key": a.key, "name": a.name, "items": a.items} for a in briefing.actors],
        "pairs": [_pair(pair) for pair in briefing.pairs],
        "source_health": [
            {
                "name": a.name,
                "matches": a.matches,
                "state": a.state,
                "failures": a.failures,
                "last_success_at": _iso(a.last_success_at),
                "last_error": a.last_error,
            }
            for a in briefing.source_health
        ],
    }
