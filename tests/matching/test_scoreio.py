"""`score` input parsing and output rows."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli.matching_cmds import parse_labelled
from bot.core.models import TermHit, TopicScore
from bot.errors import Problem
from bot.matching.scoreio import InputRow, iter_input, parse_input, score_row


def test_json_lines_become_items_with_ids() -> None:
    """Ids are kept (numbers as text); a missing id is the 1-based line number."""
    rows = parse_input('{"id": 7, "title": "a"}\n\n{"title": "b", "lang": "zh"}\n', source="f")
    assert [r.id for r in rows if isinstance(r, InputRow)] == ["7", "3"]
    assert rows[1].item.lang == "zh"  # type: ignore[union-attr]


def test_bad_lines_become_problems_in_place() -> None:
    """A line that is not an object, or lacks a title, is a Problem naming the line."""
    rows = parse_input('{"title": "a"}\n42\n{"summary": "s"}\n', source="f")
    problems = [r for r in rows if isinstance(r, Problem)]
    assert [(p.file, p.line) for p in problems] == [("f", 2), ("f", 3)]


def test_line_separators_inside_json_strings_do_not_cut_items() -> None:
    """`json.dumps(..., ensure_ascii=False)` writes U+2028, U+2029 and NEL raw inside strings:
    each line stays one item (they were cut in two, and a first line cut so made the whole
    input one plain-text item). Windows line ends are line ends."""
    titles = ["Joint\u2028operation", "Police\u2029chiefs", "Narcotics\x85board"]
    text = "".join(
        json.dumps({"id": f"i{n}", "title": title}, ensure_ascii=False) + "\r\n"
        for n, title in enumerate(titles)
    )
    rows = parse_input(text, source="f")
    assert [type(r) for r in rows] == [InputRow] * 3
    assert [r.id for r in rows if isinstance(r, InputRow)] == ["i0", "i1", "i2"]
    labelled = parse_labelled(
        "".join(
            json.dumps({"id": f"l{n}", "title": t, "label": n % 2}, ensure_ascii=False) + "\n"
            for n, t in enumerate(titles)
        ),
        "f",
    )
    assert [(row.id, row.label) for row in labelled] == [("l0", 0), ("l1", 1), ("l2", 0)]


def test_text_that_is_not_json_lines_is_one_item() -> None:
    """The first non-blank line is the title; the rest is the body."""
    (row,) = parse_input("\nTitle here\nBody one.\nBody two.\n", source="f")
    assert isinstance(row, InputRow)
    assert (row.id, row.item.title, row.item.content) == ("1", "Title here", "Body one.\nBody two.")


def test_output_rows_round_scores_to_four_places() -> None:
    """The row has the SPEC 3.4 keys, a rounded score, and the actors (issue 19)."""
    score = TopicScore("t", 0.123456, False, (TermHit("x", "g", 2),), (), ("why",), ("CN",))
    assert score_row("1", score) == {
        "id": "1",
        "topic": "t",
        "score": 0.1235,
        "matched": False,
        "terms": [{"term": "x", "group": "g", "count": 2}],
        "entities": [],
        "reasons": ["why"],
        "actors": ["CN"],
    }


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from(['{"id": 1, "title": "a"}', '{"title": "b"}', "[1]", "x", "", "  "])
        | st.text(max_size=8),
        max_size=8,
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_input_read_line_by_line_is_the_input_read_whole(
    lines: list[str], end: str, last_end: bool
) -> None:
    """`score` reads its input a line at a time (`iter_input`, over a file's lines): the same
    items, problems and plain-text item as parsing the whole text (`parse_input`)."""
    text = end.join(lines) + (end if last_end else "")
    streamed = list(iter_input(io.StringIO(text, newline="\n"), source="f"))
    assert streamed == parse_input(text, source="f")
