"""Stored matches as analysts take them away: rows -> CSV (RFC 4180) or JSON Lines text."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.models import EntityHit, TermHit
from bot.settings.units import parse_duration

FORMATS = ("csv", "jsonl")
CSV_COLUMNS = (
    "match_id",
    "topic",
    "score",
    "terms",
    "entities",
    "reasons",
    "title",
    "link",
    "published",
    "sources",
    "matched_at",
    "actors",  # last: a column added later, so existing positions hold
)
# Reasons themselves contain "; ", so list cells are joined with something they do not.
LIST_SEPARATOR = " | "
# Spreadsheets run a cell that starts with = + - @ (or their full-width forms) as a formula,
# also after spaces, tabs or a line break. Feed titles come from strangers, so, as OWASP's
# "CSV injection" advice has it, every such start gets an apostrophe: the cell's own, and
# any after a character a spreadsheet may split cells on (, ; tab | or a line break; a
# program set up for `;` splits "Heroin seized;=cmd|' /C calc'!A0" into two cells, whatever
# the quoting). Every data cell is also wrapped in double quotes.
_TRIGGER = "[=+\\-@\uff1d\uff0b\uff0d\uff20]"
_FORMULA_AT_START = re.compile(rf"\s*{_TRIGGER}")
_FORMULA_AFTER_SEPARATOR = re.compile(rf"([,;\t|\r\n]\s*)(?={_TRIGGER})")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One stored match with its item and the names of every source that carried the story."""

    match_id: int
    topic: str
    score: float
    terms: tuple[TermHit, ...]
    entities: tuple[EntityHit, ...]
    reasons: tuple[str, ...]
    title: str
    link: str | None
    published: datetime | None
    sources: tuple[str, ...]
    matched_at: datetime
    actors: tuple[str, ...] = ()
    """Who acted in the item (TopicScore.actors): ISO country codes, then international
    bodies; empty for matches stored before actors were recorded."""


def parse_since(text: str, *, now: datetime) -> datetime:
    """The moment `--since` names: a duration back from `now` (`30d`, `12h`) or an ISO date or
    date-time (`2026-01-01`, naive means UTC). ValueError with a usable message otherwise."""
    value = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        # A bare number could be seconds or a year; make the user say which.
        raise ValueError(f"{text!r} needs a unit (e.g. 30d, 12h) or a date like 2026-01-01")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30d, 12h, 90m) nor a date (2026-01-01)"
        ) from None
    return now - timedelta(seconds=seconds)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def row_to_json(row: ExportRow) -> dict[str, Any]:
    """A match as one JSON object, lists kept as lists."""
    return {
        "match_id": row.match_id,
        "topic": row.topic,
        "score": row.score,
        "terms": [{"term": t.term, "group": t.group, "count": t.count} for t in row.terms],
        "entities": [{"name": e.name, "type": e.type} for e in row.entities],
        "reasons": list(row.reasons),
        "title": row.title,
        "link": row.link,
        "published": _iso(row.published),
        "sources": list(row.sources),
        "matched_at": _iso(row.matched_at),
        "actors": list(row.actors),
    }


def _cell(text: str) -> str:
    """A cell no spreadsheet runs as a formula, however it splits the line into cells."""
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\g<1>'", text)
    if text.startswith(("\t", "\r")) or _FORMULA_AT_START.match(text):
        return "'" + text
    return text


def row_to_csv(row: ExportRow) -> list[str]:
    """A match as CSV cells in CSV_COLUMNS order; lists joined with LIST_SEPARATOR."""
    terms = LIST_SEPARATOR.join(f"{t.term} [{t.group}] x{t.count}" for t in row.terms)
    entities = LIST_SEPARATOR.join(f"{e.name} [{e.type}]" for e in row.entities)
    cells = [
        str(row.match_id),
        row.topic,
        f"{row.score:.4f}",
        terms,
        entities,
        LIST_SEPARATOR.join(row.reasons),
        row.title,
        row.link or "",
        _iso(row.published) or "",
        LIST_SEPARATOR.join(row.sources),
        _iso(row.matched_at) or "",
        LIST_SEPARATOR.join(row.actors),
    ]
    return [_cell(cell) for cell in cells]


def csv_chunks(rows: Iterable[ExportRow]) -> Iterator[str]:
    """The header, then one CRLF-terminated CSV record per row, produced as rows arrive."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row_to_csv(row))
        yield buffer.getvalue()


def jsonl_chunks(rows: Iterable[ExportRow]) -> Iterator[str]:
    """One JSON object per line per row, produced as rows arrive."""
    for row in rows:
        yield json.dumps(row_to_json(row), ensure_ascii=False) + "\n"


def export_chunks(rows: Iterable[ExportRow], fmt: str) -> Iterator[str]:
    """Text chunks of `rows` in `fmt` (one of FORMATS)."""
    if fmt == "csv":
        return csv_chunks(rows)
    if fmt == "jsonl":
        return jsonl_chunks(rows)
    raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
