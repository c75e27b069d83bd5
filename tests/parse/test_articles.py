"""Article lists detected on real pages without selectors (`type: html` with no `selectors`).

The expected links were established by reading each page: the links of its main list, and
links that must not be taken for articles (navigation, sidebars, buttons, authors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import pytest

from bot.core.models import ParsedFeed
from bot.errors import ParseError
from bot.parse import parse_body
from bot.parse.linkshape import text_width
from tests.support.realfeeds import read_capture


@dataclass(frozen=True, slots=True)
class Page:
    file: str
    url: str
    """Where the page lives (its canonical or list URL)."""
    articles: re.Pattern[str]
    """The shape of every link of the page's main list, as read on the page."""
    expected: tuple[str, ...]
    not_articles: tuple[str, ...]
    minimum: int
    dated: bool


PAGES = [
    Page(
        "html-zh-hk-orientaldaily-list-2020.html",
        "https://orientaldaily.on.cc/cnt/news/20200809/index.html",
        re.compile(r"https://orientaldaily\.on\.cc/cnt/news/20200809/\d{5}_\d{3}\.html"),
        (
            "https://orientaldaily.on.cc/cnt/news/20200809/00174_001.html",  # 街市重開 鼠患不改
            "https://orientaldaily.on.cc/cnt/news/20200809/00176_002.html",
            "https://orientaldaily.on.cc/cnt/news/20200809/00176_003.html",
            "https://orientaldaily.on.cc/cnt/news/20200809/00176_006.html",
            "https://orientaldaily.on.cc/cnt/news/20200809/00176_056.html",  # 海關連破兩空運毒案
            "https://orientaldaily.on.cc/cnt/news/20200809/00184_010.html",
            "https://orientaldaily.on.cc/cnt/news/20200809/00184_001.html",  # 坦言集：技術戰
        ),
        (
            "https://orientaldaily.on.cc/cnt/news/20200809/index.html",  # 要聞港聞 menu
            "https://orientaldaily.on.cc/cnt/finance/20200809/index.html",
            "http://on.cc",
            "https://orientaldaily.on.cc/cnt/news/20200809/00176_043.html",  # 啟事: a notice
        ),
        62,
        True,
    ),
    Page(
        "html-zh-hk-singpao-list-2020.html",
        "https://www.singpao.com.hk/index.php?fi=news1",
        re.compile(r"https://www\.singpao\.com\.hk/index\.php\?fi=news1&id=\d+"),
        tuple(
            f"https://www.singpao.com.hk/index.php?fi=news1&id={n}"
            for n in (113658, 113659, 113668, 113654, 113655, 113624)
        ),
        (
            "https://www.singpao.com.hk/index.php?fi=instantnews",  # 即時新聞 menu
            "https://www.singpao.com.hk/index.php?fi=history",
            "https://www.singpao.com.hk/cdn-cgi/l/email-protection",
        ),
        20,
        True,
    ),
    Page(
        "html-zh-hk-hkej-list-2020.html",
        "https://www1.hkej.com/dailynews/views",
        re.compile(r"https://www1\.hkej\.com/dailynews/views/article/\d+/.+"),
        tuple(
            f"https://www1.hkej.com/dailynews/views/article/{n}/"
            for n in (2551793, 2551794, 2551795, 2551796, 2551798, 2551801)  # 2551793 leads
        ),
        (
            "https://www1.hkej.com/dailynews/headline",  # 要聞 menu
            "https://www1.hkej.com/dailynews/toc",
            "https://www2.hkej.com/instantnews/stock",  # footer
        ),
        9,
        False,
    ),
    Page(
        "html-zh-hk-headline-list-2020.html",
        "https://hd.stheadline.com/news/daily/hk/日報-港聞/",
        re.compile(r"https://hd\.stheadline\.com/news/daily/hk/\d+/日報-港聞-.+"),
        tuple(
            f"https://hd.stheadline.com/news/daily/hk/{n}/"
            for n in (874104, 874107, 874110, 874113, 874131, 874116)  # 874104: the lead (h1)
        ),
        (
            "https://hd.stheadline.com/news/realtime/即時/",  # 即時新聞 menu
            "https://hd.stheadline.com/news/daily/",
            # the "most read" sidebar and the real-time sidebar are not this page's list
            "https://hd.stheadline.com/news/daily/hk/871458/",
            "https://hd.stheadline.com/news/realtime/hk/1840989/",
        ),
        10,
        True,
    ),
    Page(
        "html-zh-hk-wenweipo-list-2020.html",
        "https://www.wenweipo.com/immed/hongkong",
        re.compile(r"https://www\.wenweipo\.com/a/2021\d\d/\d\d/AP[0-9a-f]+\.html"),
        (
            "https://www.wenweipo.com/a/202103/01/AP603c56f0e4b04e1918c8e7a0.html",
            "https://www.wenweipo.com/a/202103/01/AP603c5547e4b04e1918c8e756.html",
            "https://www.wenweipo.com/a/202103/01/AP603c539fe4b04e1918c8e754.html",
            "https://www.wenweipo.com/a/202103/01/AP603c51f4e4b04e1918c8e70a.html",
            "https://www.wenweipo.com/a/202102/28/AP603b8db2e4b04e1918c8d17d.html",
        ),
        (
            "https://www.wenweipo.com/immed",  # breadcrumb
            "https://www.tkww.hk/home",
            # the "hot topic" box: older stories
            "https://www.wenweipo.com/a/202102/20/AP6030a486e4b04e1918c775ec.html",
        ),
        16,
        True,
    ),
    Page(
        "html-en-thestandard-breaking-fragment-2020.html",
        "https://www.thestandard.com.hk/breaking-news.php",
        re.compile(r"https://www\.thestandard\.com\.hk/(breaking|section)-news/section/4/\d+/.+"),
        (
            "https://www.thestandard.com.hk/breaking-news/section/4/152604/",
            "https://www.thestandard.com.hk/breaking-news/section/4/152592/",
            "https://www.thestandard.com.hk/breaking-news/section/4/152599/",
            "https://www.thestandard.com.hk/breaking-news/section/4/152593/",
            "https://www.thestandard.com.hk/breaking-news/section/4/152540/",
        ),
        (
            "https://www.facebook.com/thestandardhk",
            "https://www.hkicpa.org.hk/bcga",  # an advertiser in the carousel
            "http://www.thestandard.com.hk/printAd/2020080520540820200805_photo.jpg",
        ),
        20,
        True,
    ),
    Page(
        "html-ru-habr-all-posts-2021.html",
        "https://habr.com/ru/all/",
        re.compile(r"https://habr\.com/ru/(post|company/[\w-]+/blog)/\d+/"),
        (
            "https://habr.com/ru/post/553856/",  # Кибероружие. Реально ли?
            "https://habr.com/ru/company/ua-hosting/blog/553838/",
            "https://habr.com/ru/post/553848/",
            "https://habr.com/ru/company/selectel/blog/553366/",
            "https://habr.com/ru/company/macloud/blog/553580/",
        ),
        (
            "https://habr.com/ru/hub/infosecurity/",  # hub tags
            "https://habr.com/ru/users/TC40/",  # author
            "https://habr.com/ru/auth/login/",
            "https://habr.com/ru/post/553652/",  # the "most read" sidebar
        ),
        20,
        False,
    ),
    Page(
        "html-en-sixcolors-home.html",
        "https://sixcolors.com/",
        re.compile(r"https://sixcolors\.com/post/2016/03/[\w-]+/"),
        (
            "https://sixcolors.com/post/2016/03/automate-this-connect-to-the-web-with-curl/",
            "https://sixcolors.com/post/2016/03/amazon-echo-dot-and-sonos-not-yet/",
            "https://sixcolors.com/post/2016/03/the-amazon-echo-family-expands-by-two/",
            "https://sixcolors.com/post/2016/03/quick-tip-push-notifications-from-mac-to-apple-watch/",
            "https://sixcolors.com/post/2016/03/automate-this-turn-on-your-xbox-one-from-afar/",
        ),
        (
            "https://sixcolors.com/about/",  # menu
            "https://sixcolors.com/topic/appletv/",
            "https://curl.haxx.se",  # a link inside a post
        ),
        5,
        True,
    ),
]


@cache
def detect(page: Page) -> ParsedFeed:
    body = read_capture(page.file)
    return parse_body(body, url=page.url, content_type="text/html", source_type="html")


def _found(links: list[str], expected: str) -> bool:
    # A link written up to its numeric id (".../874107/") names the article; its slug follows.
    by_id = re.search(r"/\d+/$", expected) is not None
    return any(link == expected or (by_id and link.startswith(expected)) for link in links)


@pytest.mark.parametrize("page", [pytest.param(p, id=p.file) for p in PAGES])
def test_detected_list_is_the_pages_articles(page: Page) -> None:
    """Without selectors the page gives its main list: every link the list has (precision 1
    against the list's link shape), the expected articles among them, none of the nav links,
    headline-length titles, absolute links."""
    items = detect(page).items
    links = [item.link or "" for item in items]
    assert len(items) >= max(page.minimum, 5)
    stray = [link for link in links if not page.articles.fullmatch(link)]
    assert stray == []
    for expected in page.expected:
        assert _found(links, expected), expected
    for wrong in page.not_articles:
        assert not _found(links, wrong), wrong
    for item in items:
        assert 8 <= text_width(item.title) <= 300, item.title
        assert "\ufeff" not in item.title
    assert len(set(links)) == len(links)


@pytest.mark.parametrize("page", [pytest.param(p, id=p.file) for p in PAGES if p.dated])
def test_detected_articles_carry_the_dates_the_page_shows(page: Page) -> None:
    """Where the page shows dates (by the link, in <time>, or in the URL), each item has one."""
    items = detect(page).items
    assert all(item.published is not None for item in items)
    assert all(
        datetime(2016, 1, 1, tzinfo=UTC) < item.published < datetime(2022, 1, 1, tzinfo=UTC)
        for item in items
        if item.published
    )


def test_dates_and_summaries_read_next_to_the_link() -> None:
    """The Standard's fragment: the date in the span beside each headline (12-hour clock) and
    the paragraph under it become the item's date and summary."""
    first = detect(PAGES[5]).items[0]
    assert first.title == "Voluntary virus tests for all in two weeks"
    assert first.published == datetime(2020, 8, 7, 15, 48, tzinfo=UTC)
    assert first.summary.startswith("The Chief Executive Carrie Lam Cheng Yuet-ngor")


def test_page_without_an_article_list_is_a_clear_failure() -> None:
    """A page whose links are all menus is a ParseError naming the problem, not zero items."""
    body = (
        b"<html><body><nav><a href='/a'>Home</a><a href='/b'>About us</a></nav>"
        b"<ul><li><a href='/news'>News</a></li><li><a href='/contact'>Contact</a></li></ul>"
        b"<p>Welcome to our site. <a href='/2024/01/02/one-story-alone'>A single story link "
        b"with a long title</a></p></body></html>"
    )
    with pytest.raises(ParseError, match="no article list found on the page"):
        parse_body(
            body, url="https://agency.example/", content_type="text/html", source_type="html"
        )


def test_selectors_still_override_detection() -> None:
    """With selectors the page is read by them, even where detection would pick another list."""
    from bot.core.models import HtmlSelectors

    page = PAGES[6]
    body = read_capture(page.file)
    feed = parse_body(
        body,
        url=page.url,
        content_type="text/html",
        source_type="html",
        selectors=HtmlSelectors(
            item="ul.content-list_most-read li.post-info", title="a.post-info__title"
        ),
    )
    assert "https://habr.com/ru/post/553652/" in [item.link for item in feed.items]


def test_lead_story_styled_apart_is_first_in_page_order() -> None:
    """The lead story (an <h1> above the <h4> list; a box of its own above the list) is taken
    with the list, in page order."""
    assert (
        detect(PAGES[3])
        .items[0]
        .link.startswith(  # type: ignore[union-attr]
            "https://hd.stheadline.com/news/daily/hk/874104/"
        )
    )
    assert detect(PAGES[2]).items[0].title == "內地客經港轉機恢復 空服員憂播毒"
