"""HTML to text: what is kept, and a cost that grows linearly with any markup."""

from __future__ import annotations

import pytest

from bot.core.text import html_to_text
from tests.support.timing import best_time


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\nTwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<div><b>bold</b> and <i>italic</i></div>", "bold and italic"),
        ("x<script>if (a < b) { no() }</script>y", "xy"),
        ("x<style>p > b { }</style>y<noscript><p>no</p></noscript>z", "xyz"),
        ("<template><p>hidden</p></template>shown", "shown"),
        ("Fish &amp; chips &lt;3 &#8212; &eacute;t&eacute;", "Fish & chips <3 — été"),
        ("<a href=\"x?a=1&b=2\" title='a > b'>link</a>", "link"),
        ("<![CDATA[kept <as> text]]>", "kept <as> text"),
        ("<!-- a comment -->text<!DOCTYPE html><?pi?>", "text"),
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
        ("an <unclosed tag and the rest", "an <unclosed tag and the rest"),
        ("<P>Upper</P><DIV>case</DIV>", "Upper\ncase"),
    ],
)
def test_html_to_text_keeps_the_text_and_line_breaks(markup: str, text: str) -> None:
    """Tags go, entities are decoded, block elements start lines, scripts and styles vanish."""
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    ("name", "hostile", "benign"),
    [
        # Guards finding 3 of issue 9: a separator inserted after each block element walked the
        # nesting depth (BeautifulSoup insert_after): 215 KiB of nested <div> took 12 s.
        ("nested div", "<div>" * 12_000 + "x" + "</div>" * 12_000, "<b>x</b>" * 16_500),
        # The standard library's HTMLParser re-scans unfinished tags: quadratic.
        ("unclosed tags", "<a " * 6_000, "<a>" * 6_000),
        ("open comments", "<!--" * 6_000, "<b>" * 8_000),
        ("open CDATA", "<![CDATA[" * 3_000, "<b>x</b>" * 3_375),
        ("tag prefixes", "<x" * 9_000, "<b>" * 6_000),
    ],
)
def test_html_to_text_costs_no_more_for_hostile_markup(
    name: str, hostile: str, benign: str
) -> None:
    """Markup built to make a parser quadratic costs about what ordinary markup of the same size
    does (measured side by side, so a slow machine does not matter)."""
    assert abs(len(hostile) - len(benign)) < len(benign) // 4
    hostile_s = best_time(lambda: html_to_text(hostile))
    benign_s = best_time(lambda: html_to_text(benign))
    assert hostile_s < 4 * benign_s + 0.02, f"{name}: {hostile_s:.3f}s vs {benign_s:.3f}s"
