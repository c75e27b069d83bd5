"""`score` input and output: JSON Lines (or one plain-text item) <-> items and score rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.models import Item, TopicScore
from bot.core.sanitize import clean_text
from bot.errors import Problem
from bot.settings.yamlsource import describe_validation_error


class ScoreInput(BaseModel):
    """One input line; other keys (a label, a note) are allowed and ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | int | None = None
    title: str = Field(max_length=10_000)
    summary: str = ""
    content: str = ""
    lang: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class InputRow:
    """A parsed input item with its id (the 1-based line number when it has none)."""

    id: str
    line: int
    item: Item
    raw: dict[str, Any]


def _first_object(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            try:
                return isinstance(json.loads(line), dict)
            except ValueError:
                return False
    return False


def plain_item(text: str) -> InputRow:
    """Text that is not JSON Lines: the first non-blank line is the title, the rest the body."""
    lines = clean_text(text).strip().splitlines()
    title = lines[0].strip() if lines else ""
    body = "\n".join(lines[1:]).strip()
    return InputRow(id="1", line=1, item=Item(title=title, content=body), raw={})


def parse_line(line: str, number: int, *, source: str) -> InputRow | Problem:
    """One JSON Lines row as an item, or the problem with it."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        return Problem(source, number, f"not a JSON object: {exc}")
    if not isinstance(data, dict):
        return Problem(source, number, "not a JSON object")
    try:
        row = ScoreInput.model_validate(data)
    except ValidationError as exc:
        return Problem(
            source, number, "; ".join(describe_validation_error(e) for e in exc.errors())
        )
    # JSON escapes can spell lone surrogates and NULs: cleaned as the parsers clean feed text.
    item = Item(
        title=clean_text(row.title),
        link=clean_text(row.url) if row.url is not None else None,
        summary=clean_text(row.summary),
        content=clean_text(row.content),
        lang=clean_text(row.lang) if row.lang is not None else None,
    )
    ident = str(row.id) if row.id is not None else str(number)
    return InputRow(id=ident, line=number, item=item, raw=data)


def parse_input(text: str, *, source: str) -> list[InputRow | Problem]:
    """Every item of a `score` input in order, with a Problem in place of each bad line."""
    if not _first_object(text):
        return [plain_item(text)] if text.strip() else []
    return [
        parse_line(line, number, source=source)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def score_row(ident: str, score: TopicScore) -> dict[str, Any]:
    """One output line of `score` (SPEC 3.4)."""
    return {
        "id": ident,
        "topic": score.topic,
        "score": round(score.score, 4),
        "matched": score.matched,
        "terms": [{"term": t.term, "group": t.group, "count": t.count} for t in score.terms],
        "entities": [{"name": e.name, "type": e.type} for e in score.entities],
        "reasons": list(score.reasons),
        "actors": list(score.actors),
    }
