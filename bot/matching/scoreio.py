"""`score` input and output: JSON Lines (or one plain-text item) <-> items and score rows."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from json.encoder import encode_basestring
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


def _is_object(line: str) -> bool:
    """Whether a line is a JSON object (what tells JSON Lines from plain text)."""
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def json_lines(text: str) -> list[str]:
    """The lines of JSON Lines text: split at "\n" only (a "\r" before it dropped), as the
    format says. `str.splitlines` also splits at U+2028, U+2029, NEL and form feeds, which
    `json.dumps(..., ensure_ascii=False)` leaves raw inside strings: an item whose text had one
    was cut in two, and a first line cut so made the whole input one plain-text item."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line[:-1] if line.endswith("\r") else line for line in lines]


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
    return list(iter_input(io.StringIO(text, newline="\n"), source=source))


def iter_input(lines: Iterable[str], *, source: str) -> Iterator[InputRow | Problem]:
    """Every item of a `score` input whose lines these are (each with its "\n", as a file
    gives them), one at a time, with a Problem in place of each bad line: a large JSON Lines
    file is scored in the memory of one batch, not of the whole file. Input whose first line
    that is not blank is no JSON object is one plain-text item, read whole."""
    rest = iter(lines)
    head: list[str] = []
    for line in rest:
        head.append(line)
        if line.strip():
            break
    if not head or not _is_object(head[-1]):
        text = "".join(head) + "".join(rest)
        if text.strip():
            yield plain_item(text)
        return
    for number, line in enumerate(chain(head, rest), start=1):
        if line.strip():
            yield parse_line(line.removesuffix("\n").removesuffix("\r"), number, source=source)


def score_row(ident: str, score: TopicScore) -> dict[str, Any]:
    """One output line of `score` (SPEC 3.4), with the acting countries and bodies, and
    `text_model` when the topic has one and read the item."""
    row = {
        "id": ident,
        "topic": score.topic,
        "score": round(score.score, 4),
        "matched": score.matched,
        "terms": [{"term": t.term, "group": t.group, "count": t.count} for t in score.terms],
        "entities": [{"name": e.name, "type": e.type} for e in score.entities],
        "reasons": list(score.reasons),
        "actors": list(score.actors),
    }
    if score.model is not None:
        row["text_model"] = {
            "probability": round(score.model.probability, 4),
            "added": round(score.model.added, 4),
            "phrases": list(score.model.phrases),
        }
    return row


def score_line(ident: str, score: TopicScore) -> str:
    """`score_row` as one JSON line, exactly as `json.dumps(..., ensure_ascii=False)` writes
    it, without building the dict first; the names of terms and entities are quoted once per
    process (a dense item lists dozens: this was a tenth of `score`'s time)."""
    value = round(score.score, 4)
    number = float.__repr__(value) if type(value) is float and _finite(value) else _dumps(value)
    matched = score.matched
    flag = ("true" if matched else "false") if type(matched) is bool else _dumps(matched)
    terms = ", ".join([_term_entry(t.term, t.group) + _count(t.count) for t in score.terms])
    entities = ", ".join([_entity_entry(e.name, e.type) for e in score.entities])
    reasons = ", ".join([encode_basestring(r) for r in score.reasons])
    actors = ", ".join([_quoted(a) for a in score.actors])
    model = score.model
    extra = ""
    if model is not None:
        phrases = ", ".join([encode_basestring(p) for p in model.phrases])
        extra = (
            f', "text_model": {{"probability": {_number(round(model.probability, 4))}, '
            f'"added": {_number(round(model.added, 4))}, "phrases": [{phrases}]}}'
        )
    return (
        f'{{"id": {encode_basestring(ident)}, "topic": {_quoted(score.topic)}, '
        f'"score": {number}, "matched": {flag}, "terms": [{terms}], '
        f'"entities": [{entities}], "reasons": [{reasons}], "actors": [{actors}]{extra}}}'
    )


def _number(value: float) -> str:
    return float.__repr__(value) if type(value) is float and _finite(value) else _dumps(value)


_dumps = json.JSONEncoder(ensure_ascii=False).encode
_QUOTED: dict[Any, str] = {}
_CACHE_LIMIT = 50_000  # names come from topic files; the cap only guards against odd callers


def _remember(key: Any, value: str) -> str:
    if len(_QUOTED) < _CACHE_LIMIT:
        _QUOTED[key] = value
    return value


def _quoted(name: str) -> str:
    found = _QUOTED.get(name)
    return found if found is not None else _remember(name, encode_basestring(name))


def _term_entry(term: str, group: str) -> str:
    """`{"term": ..., "group": ..., "count": ` of one term."""
    key = ("term", term, group)
    found = _QUOTED.get(key)
    if found is None:
        found = _remember(key, f'{{"term": {_quoted(term)}, "group": {_quoted(group)}, "count": ')
    return found


def _entity_entry(name: str, kind: str) -> str:
    key = ("entity", name, kind)
    found = _QUOTED.get(key)
    if found is None:
        found = _remember(key, f'{{"name": {_quoted(name)}, "type": {_quoted(kind)}}}')
    return found


def _count(count: int) -> str:
    return f"{int.__repr__(count)}}}" if type(count) is int else f"{_dumps(count)}}}"


def _finite(value: float) -> bool:
    return value - value == 0.0  # False for NaN and the infinities
