"""Alert rendering: escaped feed text, Telegram's 4096 limit, plain fallback, digests, /why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.models import EntityHit, TermHit, TopicScore
from bot.core.render import (
    MAX_MESSAGE,
    AlertView,
    cut_html,
    html_to_plain,
    render_alert,
    render_digest,
    render_why,
    tg_length,
)
from tests.support.fake_bot_api import parse_html
from tests.support.telegram_html import assert_valid_message

SCORE = TopicScore(
    topic="drug-control-cooperation",
    score=0.8712,
    matched=True,
    terms=(TermHit("禁毒", "drug", 3), TermHit("cooperation", "coop", 1)),
    entities=(EntityHit("UNODC", "org"),),
    reasons=("drug term + cooperation signal",),
)


def view(**changes: object) -> AlertView:
    base: dict[str, object] = {
        "alert_id": 17,
        "match_id": 5,
        "source_id": 3,
        "title": "China & SCO <agree> on anti-drug agency",
        "link": "https://news.example/a?x=1&y=2",
        "sources": ("China Daily",),
        "published": datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        "score": SCORE,
        "excerpt": "Officials said <b>joint</b> work would grow.",
    }
    base.update(changes)
    return AlertView(**base)  # type: ignore[arg-type]


def test_alert_shows_every_part_with_feed_text_escaped() -> None:
    """The alert links the title and shows source, time, topic, score, terms, entities, excerpt."""
    html = render_alert(view()).html
    assert '<a href="https://news.example/a?x=1&amp;y=2">' in html
    assert "China &amp; SCO &lt;agree&gt; on anti-drug agency" in html
    assert "China Daily · 2026-11-24 09:30 UTC" in html
    assert "drug-control-cooperation" in html
    assert "score 0.87" in html
    assert "禁毒 ×3" in html
    assert "UNODC (org)" in html
    assert "&lt;b&gt;joint&lt;/b&gt;" in html
    assert "/why 17" in html
    assert parse_html(html)[0] is None


def test_non_http_links_are_not_made_clickable() -> None:
    """A javascript: or relative link is shown as plain title text, not as an href."""
    html = render_alert(view(link="javascript:alert(1)")).html
    assert "href" not in html


def test_hostile_long_title_and_excerpt_stay_under_the_limit_and_parse() -> None:
    """Huge titles full of `&<>"` and emoji never exceed 4096 characters or break the HTML."""
    hostile = ('&<>"' * 3000) + ("😀" * 3000)
    rendered = render_alert(view(title=hostile, excerpt=hostile, sources=(hostile,) * 50))
    assert tg_length(rendered.html) <= MAX_MESSAGE
    assert tg_length(rendered.plain) <= MAX_MESSAGE
    problem, _ = parse_html(rendered.html)
    assert problem is None
    assert "&amp;&lt;&gt;&quot;" in rendered.html


def test_excerpt_is_shortened_first() -> None:
    """A long excerpt is cut (with an ellipsis) before anything else gives way."""
    rendered = render_alert(view(excerpt="word " * 5000))
    assert "…" in rendered.html
    assert "China &amp; SCO" in rendered.html
    assert tg_length(rendered.html) < 1500


def test_plain_fallback_has_no_markup_and_keeps_the_link() -> None:
    """The plain version carries the same facts without tags or entities."""
    plain = render_alert(view()).plain
    assert "<i>" not in plain
    assert "&amp;" not in plain
    assert "Officials said <b>joint</b> work" in plain
    assert "China & SCO <agree> on anti-drug agency" in plain
    assert "https://news.example/a?x=1&y=2" in plain


def test_buttons_carry_feedback_and_mute_data() -> None:
    """Buttons send back the match id (feedback) and the source id (mute), within 64 bytes."""
    buttons = render_alert(view()).buttons
    data = [b.data for row in buttons for b in row]
    assert data == ["fb:r:5", "fb:n:5", "ms:3"]
    assert all(len(d.encode()) <= 64 for d in data)


def test_digest_splits_between_items_and_each_part_parses() -> None:
    """A long digest becomes several messages under the limit; every alert is in exactly one."""
    views = [view(alert_id=n, title=f"Story {n} " + "x" * 150) for n in range(100)]
    parts = render_digest(views, heading="Hourly digest")
    assert len(parts) > 1
    assert sum(part.count for part in parts) == 100
    for part in parts:
        assert tg_length(part.html) <= MAX_MESSAGE
        assert parse_html(part.html)[0] is None
    assert all(f"/why {n}\n" in "\n".join(p.html for p in parts) + "\n" for n in range(100))


def test_why_lists_every_reason_term_and_entity() -> None:
    """The explanation names the reasons, each term with its group and count, and entities."""
    text = render_why(view())
    assert "drug term + cooperation signal" in text
    assert "禁毒 — group drug, 3×" in text
    assert "UNODC (org)" in text
    assert parse_html(text)[0] is None


def test_html_to_plain_undoes_our_markup() -> None:
    """Stripping our own HTML gives back the original characters."""
    assert html_to_plain("<b>a &amp; b</b> &lt;c&gt;") == "a & b <c>"


@pytest.mark.parametrize("char", ["&", '"', "<", "'"])
def test_link_that_escapes_past_the_limit_is_never_cut_inside_its_tag(char: str) -> None:
    """A link of `&` (or `"`) escapes fivefold: the alert drops the link, never cuts its href."""
    link = "https://news.example/?" + char * 2000
    rendered = render_alert(view(link=link, title=char * 3000, excerpt=char * 3000))
    assert_valid_message(rendered.html)
    assert tg_length(rendered.plain) <= MAX_MESSAGE


def test_giant_topic_id_is_cut_between_tags() -> None:
    """Even a topic id over the whole limit gives valid HTML, cut on a tag boundary."""
    score = TopicScore(topic="t&" * 3000, score=0.9, matched=True)
    rendered = render_alert(view(score=score))
    assert_valid_message(rendered.html)
    assert rendered.html.endswith("…</code>")
    assert tg_length(rendered.plain) <= MAX_MESSAGE


def test_cut_html_keeps_surrogate_pairs_and_entities_whole() -> None:
    """The last-resort cut closes open tags and never splits an entity or an emoji."""
    text = "<b>" + "😀&amp;" * 2000 + "</b>"
    for limit in range(10, 40):
        cut = cut_html(text, limit)
        assert_valid_message(cut, limit)


MODEL_REASON = "text model +0.21 (“<b>anti drug</b>”, “r&d”): P(relevant) 0.83"
"""A text model's reason quoting the item's own phrases, which are feed text."""


def test_alert_shows_what_the_text_model_added_escaped() -> None:
    """The alert has a `Text model +0.21 (…)` line with the item's phrases escaped in HTML
    and as they are in plain text; the probability stays for /why."""
    score = TopicScore(
        topic="drug-control-cooperation",
        score=0.61,
        matched=True,
        reasons=("drugs: heroin (evidence 2.0) +0.33", MODEL_REASON, "score 0.61 >= 0.50"),
    )
    rendered = render_alert(view(score=score))
    line = "Text model +0.21 (“&lt;b&gt;anti drug&lt;/b&gt;”, “r&amp;d”)"
    assert f"\n{line}\n" in rendered.html
    assert "\nText model +0.21 (“<b>anti drug</b>”, “r&d”)\n" in rendered.plain
    assert "P(relevant)" not in rendered.html
    assert_valid_message(rendered.html)
    why = render_why(view(score=score))
    assert "• text model +0.21 (“&lt;b&gt;anti drug&lt;/b&gt;”, “r&amp;d”): P(relevant) 0.83" in why
    assert_valid_message(why)


def test_alert_without_a_text_model_has_no_model_line() -> None:
    """A score with no text-model reason shows no model line."""
    assert "Text model" not in render_alert(view()).html
    assert "Text model" not in render_alert(view()).plain
