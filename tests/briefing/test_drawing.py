"""What a subscriber and a reader see: the PNG, the Telegram texts, the HTML page."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from bot.briefing.build import build_briefing, period_ending
from bot.briefing.model import Briefing, SourceActivity
from bot.drawing.charts import PNG_SIZE, briefing_png, chart_svgs
from bot.drawing.messages import caption, stories_message
from bot.drawing.report import report_html
from tests.briefing.conftest import END, row
from tests.support.fake_bot_api import parse_html, tg_len
from tests.support.html_check import check_page

CN, MM = ("China", "country"), ("Myanmar", "country")
HOSTILE = '<b>Seizure</b> & "Mekong" <script>alert(1)</script> 中缅 禁毒 '


def sample(n: int = 40, *, title: str = "Mekong patrol seizes methamphetamine") -> Briefing:
    rows = [
        row(
            i,
            f"{title} {i % 9}",
            hours_ago=1 + (i * 37) % 160,
            source=f"Source {i % 6}",
            entities=[CN, MM, ("UNODC", "organisation")] if i % 2 else [CN],
            score=0.5 + (i % 5) / 10,
            actors=("CN", "MM", "UNODC") if i % 2 else ("CN", "LA"),
        )
        for i in range(n)
    ]
    health = (SourceActivity("Source 0", 7, True, 3, None, "HTTP 503 <oops>"),)
    return build_briefing(
        rows,
        period_ending(END, 7),
        topics=["drug-control-cooperation"],
        previous_total=30,
        source_health=health,
    )


def ink_share(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The share of pixels in `box` that are not (nearly) white."""
    region = image.convert("L").crop(box)
    histogram = region.histogram()
    return sum(histogram[:240]) / (region.width * region.height)


def test_png_opens_at_phone_size_with_every_chart_drawn() -> None:
    """A 1080 x 1980 PNG; each fifth of it below the heading (a chart, the last the top pairs)
    carries ink."""
    image = Image.open(io.BytesIO(briefing_png(sample())))
    assert image.format == "PNG"
    assert image.size == PNG_SIZE == (1080, 1980)
    width, height = image.size
    for fifth in range(5):
        top = int(height * (0.11 + 0.178 * fifth))
        assert ink_share(image, (0, top, width, top + int(height * 0.16))) > 0.02, fifth


def test_png_of_an_empty_period_still_draws() -> None:
    """Nothing matched: the picture says so instead of failing."""
    empty = build_briefing([], period_ending(END, 7), topics=["t"], previous_total=0)
    assert Image.open(io.BytesIO(briefing_png(empty))).size == PNG_SIZE


def test_caption_and_stories_are_valid_telegram_html_within_limits() -> None:
    """Hostile titles are escaped; the caption fits 1024, the stories message 4096."""
    briefing = sample(300, title=HOSTILE * 8)
    for text, limit in ((caption(briefing), 1024), (stories_message(briefing), 4096)):
        problem, visible = parse_html(text)
        assert problem is None, problem
        assert tg_len(visible) <= limit
    stories = stories_message(briefing)
    assert "<script>" not in stories
    assert "&lt;script&gt;" in stories
    assert stories.count('<a href="https://news.example/') >= 3
    assert "sources</i>" in stories


def test_quiet_period_is_one_line() -> None:
    """No matches: a single 'Quiet week' line, no list."""
    empty = build_briefing([], period_ending(END, 7), topics=["t"], previous_total=3)
    text = stories_message(empty)
    assert text.startswith("Quiet week:")
    assert "\n" not in text


def test_report_page_is_strict_html_that_fetches_nothing() -> None:
    """Balanced tags, unique ids, no script, no external src/href/url(): only story links."""
    briefing = sample(60, title=HOSTILE)
    page = check_page(report_html(briefing, generated_at=datetime(2026, 11, 23, tzinfo=UTC)))
    assert page.problems == []
    assert page.tags.get("svg", 0) == 6  # four charts, the network wide and phone-sized
    assert page.links
    assert all(link.startswith("https://news.example/") for link in page.links)
    text = " ".join(page.text)
    assert "<script>alert(1)</script>" in text  # shown as text, escaped in the markup
    assert "HTTP 503 <oops>" in text
    assert "failing (3 failures)" in text


def test_report_prints_on_a4_and_reflows_on_phones() -> None:
    """The page carries its print and narrow-screen rules inline."""
    html = report_html(sample(), generated_at=datetime(2026, 11, 23, tzinfo=UTC))
    assert "@page { size: A4" in html
    assert "@media (max-width: 700px)" in html
    assert '<meta name="viewport"' in html


MATH = r"Drug $\frac{news$ $\x$ costs"
"""A feed title that mathtext refuses to parse (an unknown symbol, an open brace)."""


def test_dollar_signs_in_feed_names_are_drawn_as_plain_text() -> None:
    """Source, country and organisation names with `$` draw as written, not as mathtext."""
    rows = [
        row(i, "Seizure", source=MATH, entities=[(MATH, "country"), ("$\\alpha$", "organisation")])
        for i in range(3)
    ]
    briefing = build_briefing(rows, period_ending(END, 7), topics=["t"], previous_total=0)
    assert Image.open(io.BytesIO(briefing_png(briefing))).size == PNG_SIZE
    svgs = chart_svgs(briefing)
    assert MATH in svgs["sources"]  # the text itself, unrendered
    assert MATH in svgs["countries"]
    assert "$\\alpha$" in svgs["organisations"]
    page = check_page(report_html(briefing, generated_at=END))
    assert page.problems == []


def test_control_characters_in_feed_names_become_spaces_in_charts() -> None:
    """A name with a line break and an escape sequence is drawn on one line, without them."""
    rows = [row(i, "Seizure", source="Wire\nNews\x1b[31m\x00") for i in range(2)]
    briefing = build_briefing(rows, period_ending(END, 7), topics=["t"], previous_total=0)
    svg = chart_svgs(briefing)["sources"]
    assert ">Wire News [31m<" in svg
    assert "\x1b" not in svg
    assert "\x00" not in svg
