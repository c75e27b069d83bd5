"""Property tests of scoring: any item text gets a score in [0, 1] with its reasons, no error."""

from __future__ import annotations

import json
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import Item
from bot.core.sanitize import clean_item
from bot.errors import Problem
from bot.matching import Matcher, compile_topics, load_topics
from bot.matching.scoreio import parse_input
from tests.fuzz.strategies import NASTY, hostile_text
from tests.support.cli import DEFAULT_TOPIC

TOPIC_WORDS = [
    "anti-drug",
    "cooperation",
    "SCO",
    "UNODC",
    "禁毒",
    "合作",
    "наркотиков",
    "сотрудничество",
    "Myanmar",
    "precursor",
    "drug",
    "pharmaceutical",
]
topical_text = st.lists(
    st.sampled_from(TOPIC_WORDS) | st.sampled_from(NASTY) | st.text(max_size=8), max_size=40
).map(" ".join)


@cache
def matcher() -> Matcher:
    """The default topic, compiled once for every example."""
    return compile_topics(load_topics([DEFAULT_TOPIC], env={}))


@given(
    st.builds(
        Item,
        title=topical_text | hostile_text,
        summary=topical_text,
        content=topical_text | hostile_text,
        lang=st.sampled_from([None, "en", "zh", "ru", "xx"]),
    )
)
def test_any_item_scores_between_zero_and_one(item: Item) -> None:
    """Topic words mixed with hostile characters, as the parsers hand them on (cleaned): one
    explained score per topic, in [0, 1]. (A lone surrogate crashes the engine's regex pass;
    every way in cleans text first: parsers, `score` input.)"""
    (score,) = matcher().score(clean_item(item))
    assert 0.0 <= score.score <= 1.0
    assert all(hit.count >= 1 for hit in score.terms)
    if score.matched:
        assert score.reasons


@given(st.lists(st.fixed_dictionaries({"title": hostile_text, "content": topical_text})))
def test_score_input_lines_with_hostile_escapes_score(rows: list[dict[str, str]]) -> None:
    """`narcowatch score` JSON Lines whose escapes spell surrogates and NULs: each line scores
    or is a Problem naming its line, never an exception."""
    text = "\n".join(json.dumps(row) for row in rows)
    for parsed in parse_input(text, source="-"):
        if isinstance(parsed, Problem):
            assert parsed.line is not None
            continue
        (score,) = matcher().score(parsed.item)
        assert 0.0 <= score.score <= 1.0
