"""Property tests of alert rendering: always Telegram HTML that parses, within 4096 UTF-16 units."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import EntityHit, TermHit, TopicScore
from bot.core.render import (
    MAX_MESSAGE,
    AlertView,
    cut_html,
    join_within,
    render_alert,
    render_digest,
    render_why,
    tg_length,
)
from bot.core.sanitize import clean_text
from tests.fuzz.strategies import NASTY, hostile_link, hostile_text
from tests.support.telegram_html import assert_valid_message

# Rendering gets text the parsers cleaned (bot.core.sanitize), of any length.
feed_text = st.one_of(
    hostile_text,
    st.builds(lambda text, n: text * n, hostile_text, st.integers(1, 80)),
).map(clean_text)

# List entries: cheap to draw, still hostile; long text comes through feed_text elsewhere.
short_text = (st.text(max_size=6) | st.sampled_from(NASTY)).map(clean_text)

scores = st.builds(
    TopicScore,
    topic=st.one_of(st.sampled_from(["drug-control-cooperation", "t"]), feed_text),
    score=st.floats(0, 1),
    matched=st.booleans(),
    terms=st.lists(
        st.builds(TermHit, term=short_text, group=short_text, count=st.integers(1, 10**6)),
        max_size=16,
    ).map(tuple),
    entities=st.lists(st.builds(EntityHit, name=short_text, type=short_text), max_size=16).map(
        tuple
    ),
    reasons=st.lists(short_text | feed_text, max_size=8).map(tuple),
)

views = st.builds(
    AlertView,
    alert_id=st.integers(1, 2**63 - 1),
    match_id=st.integers(1, 2**63 - 1),
    source_id=st.integers(1, 2**63 - 1),
    title=feed_text,
    link=hostile_link.map(lambda link: clean_text(link) if link is not None else None),
    sources=st.lists(short_text | feed_text, min_size=0, max_size=12).map(tuple),
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
    score=scores,
    excerpt=feed_text,
)


@given(views)
def test_alerts_always_parse_within_the_limit(view: AlertView) -> None:
    """Any alert: valid Telegram HTML, plain fallback within the limit, button data <= 64 bytes."""
    rendered = render_alert(view)
    assert_valid_message(rendered.html)
    assert 0 < tg_length(rendered.plain) <= MAX_MESSAGE
    for row in rendered.buttons:
        for button in row:
            assert len(button.data.encode()) <= 64


@given(views)
def test_why_always_parses_within_the_limit(view: AlertView) -> None:
    """/why for any match is valid Telegram HTML within the limit."""
    assert_valid_message(render_why(view))


@given(st.lists(views, min_size=1, max_size=6), feed_text)
@settings(max_examples=12)  # up to six alerts an example
def test_digest_parts_always_parse_within_the_limit(views_: list[AlertView], heading: str) -> None:
    """Every message of a digest is valid, and together they hold every alert once."""
    parts = render_digest(views_, heading=heading or "Digest")
    assert sum(part.count for part in parts) == len(views_)
    for part in parts:
        assert_valid_message(part.html)


@given(st.lists(feed_text, min_size=1, max_size=40), st.integers(10, MAX_MESSAGE))
def test_cut_html_and_join_within_keep_valid_html(lines: list[str], limit: int) -> None:
    """Escaped lines in tags, joined or cut at any limit, stay valid and within it."""
    from bot.core.render import esc

    html_lines = [f"<b>{esc(line)}</b> <i><code>{esc(line[:9])}</code></i>" for line in lines]
    joined = "\n".join(html_lines)
    for text in (join_within(html_lines, limit), cut_html(joined, limit)):
        assert tg_length(text) <= limit
        assert_valid_message(text + ".", limit + 1)  # `.`: a cut may leave only tags


def test_a_fixed_timestamp_renders() -> None:
    """Sanity check of the strategy's fixed values: one real alert renders and parses."""
    view = AlertView(
        1, 1, 1, "t", None, ("s",), datetime(2026, 1, 1, tzinfo=UTC), TopicScore("t", 1, True)
    )
    assert_valid_message(render_alert(view).html)
