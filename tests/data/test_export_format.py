"""Rows -> CSV and JSON Lines text, and the --since parser (pure, no database)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.export import CSV_COLUMNS, ExportRow, export_chunks, parse_since
from bot.core.models import EntityHit, TermHit

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def row(match_id: int = 1, *, title: str = "SCO anti-drug agency") -> ExportRow:
    return ExportRow(
        match_id=match_id,
        topic="drugs",
        score=0.8125,
        terms=(TermHit("narcotics", "drug", 2),),
        entities=(EntityHit("UNODC", "org"), EntityHit("China", "place")),
        reasons=("a; b", "c"),
        title=title,
        link="https://news.example/a",
        published=datetime(2026, 2, 1, 8, 30, tzinfo=UTC),
        sources=("Wire", "Agency"),
        matched_at=NOW,
        actors=("CN", "LA", "UNODC"),
    )


def test_csv_has_header_and_quotes_awkward_cells() -> None:
    """CSV output is RFC 4180: a header, CRLF records, quoted commas, quotes and line breaks."""
    title = 'Китай, "SCO"\nagency'
    text = "".join(export_chunks([row(1, title=title), row(2)], "csv"))
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    assert '"Китай, ""SCO""\nagency"' in text
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["match_id"] for r in records] == ["1", "2"]
    first = records[0]
    assert first["title"] == title
    assert first["score"] == "0.8125"
    assert first["terms"] == "narcotics [drug] x2"
    assert first["entities"] == "UNODC [org] | China [place]"
    assert first["reasons"] == "a; b | c"
    assert first["sources"] == "Wire | Agency"
    assert first["published"] == "2026-02-01T08:30:00+00:00"
    assert first["matched_at"] == NOW.isoformat()
    assert first["actors"] == "CN | LA | UNODC"
    assert list(records[0]) == list(CSV_COLUMNS)
    assert CSV_COLUMNS[-1] == "actors"  # added last: the columns before it kept their places


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_defuses_spreadsheet_formulas(start: str) -> None:
    """A cell that would run as a spreadsheet formula gets a leading apostrophe."""
    text = "".join(export_chunks([row(title=f"{start}HYPERLINK(1)")], "csv"))
    record = next(csv.DictReader(io.StringIO(text, newline="")))
    assert record["title"] == f"'{start}HYPERLINK(1)"


def test_csv_of_no_rows_is_just_the_header() -> None:
    """With no matches the CSV still has its header, so tools see the columns."""
    assert "".join(export_chunks([], "csv")) == ",".join(CSV_COLUMNS) + "\r\n"


def test_jsonl_keeps_lists_and_evidence_structured() -> None:
    """JSON Lines output is one object per row with lists as lists and ISO dates."""
    lines = "".join(export_chunks([row(1), row(2, title="=x")], "jsonl")).splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first == {
        "match_id": 1,
        "topic": "drugs",
        "score": 0.8125,
        "terms": [{"term": "narcotics", "group": "drug", "count": 2}],
        "entities": [{"name": "UNODC", "type": "org"}, {"name": "China", "type": "place"}],
        "reasons": ["a; b", "c"],
        "title": "SCO anti-drug agency",
        "link": "https://news.example/a",
        "published": "2026-02-01T08:30:00+00:00",
        "sources": ["Wire", "Agency"],
        "matched_at": "2026-03-01T12:00:00+00:00",
        "actors": ["CN", "LA", "UNODC"],
    }
    assert json.loads(lines[1])["title"] == "=x"  # no spreadsheet escaping in JSON


def test_export_chunks_are_lazy() -> None:
    """Rows are pulled one at a time, so a large export never sits in memory."""
    pulled: list[int] = []

    def rows():  # type: ignore[no-untyped-def]
        for n in range(1, 1000):
            pulled.append(n)
            yield row(n)

    chunks = export_chunks(rows(), "jsonl")
    next(chunks)
    assert pulled == [1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T06:00:00+03:00", datetime(2026, 1, 1, 3, tzinfo=UTC)),
    ],
)
def test_parse_since_takes_durations_and_dates(text: str, expected: datetime) -> None:
    """--since is a duration back from now or an ISO date (naive means UTC)."""
    parsed = parse_since(text, now=NOW)
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["2026", "yesterday", "30x", "", "2026-13-01"])
def test_parse_since_refuses_the_unclear(text: str) -> None:
    """A bare number, a word or an impossible date is refused with a message saying why."""
    with pytest.raises(ValueError, match=r"unit|duration"):
        parse_since(text, now=NOW)


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Heroin seized;=cmd|' /C calc'!A0", "Heroin seized;'=cmd|' /C calc'!A0"),
        ("Raid, -40% | @once", "Raid, '-40% | '@once"),
        ("  =1+1", "'  =1+1"),
        ("\uff1dSUM(1)", "'\uff1dSUM(1)"),
        ("Bust - 3 arrested, 2+2 kg", "Bust - 3 arrested, 2+2 kg"),
    ],
)
def test_csv_defuses_formulas_after_separators_and_quotes_every_cell(
    title: str, written: str
) -> None:
    """A formula start after `;`, `,` or `|` (plus spaces), after leading spaces, or in its
    full-width form gets an apostrophe; other text is left alone; every data cell is quoted."""
    text = "".join(export_chunks([row(title=title)], "csv"))
    record = next(csv.DictReader(io.StringIO(text, newline="")))
    assert record["title"] == written
    data_line = text.split("\r\n")[1]
    assert data_line.startswith('"1","drugs","0.8125",')
