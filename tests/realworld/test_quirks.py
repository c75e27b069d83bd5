"""One test per quirk the manifest names for a real-world capture, on the parsed capture.

Each check reads the capture's bytes from `<repo>/../shared/realfeeds/` (skipped when absent)
and asserts what narcowatch makes of that quirk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import pytest

from bot.core.identity import item_keys
from bot.core.models import Item, ParsedFeed
from bot.parse import parse_body
from tests.support.realfeeds import CONTENT_TYPES, read_capture

BASE = "https://capture.example/feeds/"
CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
MARKUP = re.compile(r"</?[a-z]+[\s>/]|&[a-z]+;|&#\d+;", re.I)
Check = Callable[[ParsedFeed], bool]


@dataclass(frozen=True, slots=True)
class Quirk:
    file: str
    kind: str
    quirk: str
    check: Check


@cache
def parsed(file: str, kind: str) -> ParsedFeed:
    return parse_body(read_capture(file), url=BASE + file, content_type=CONTENT_TYPES[kind])


def every(test: Callable[[Item], bool]) -> Check:
    return lambda feed: bool(feed.items) and all(test(item) for item in feed.items)


def count(n: int) -> Check:
    return lambda feed: len(feed.items) == n


def cjk_titles(feed: ParsedFeed) -> bool:
    return sum(bool(CJK.search(i.title)) for i in feed.items) * 2 > len(feed.items)


def cyrillic_titles(feed: ParsedFeed) -> bool:
    return all(CYRILLIC.search(i.title + i.summary) for i in feed.items)


def dated(feed: ParsedFeed) -> bool:
    return all(i.published is not None for i in feed.items)


def undated(feed: ParsedFeed) -> bool:
    return all(i.published is None for i in feed.items)


def no_markup(feed: ParsedFeed) -> bool:
    return not any(MARKUP.search(i.title + "\n" + i.summary) for i in feed.items)


def first_date(expected: datetime) -> Check:
    return lambda feed: feed.items[0].published == expected


def links_under(prefix: str) -> Check:
    return every(lambda i: (i.link or "").startswith(prefix))


def distinct_keys(feed: ParsedFeed) -> bool:
    return len(set(item_keys(feed.items))) == len(feed.items)


def all_of(*checks: Check) -> Check:
    return lambda feed: all(check(feed) for check in checks)


CHARDET_COMMENT = "chardet corpus comment after the prolog"
Q = Quirk
QUIRKS = [
    Q("zh-gb2312-acnnewswire-press-2005.xml", "rss2", "declared gb2312", cjk_titles),
    Q("zh-gb2312-acnnewswire-press-2005.xml", "rss2", "body on a single line", count(8)),
    Q("zh-gb2312-acnnewswire-press-2005.xml", "rss2", "CDATA descriptions", no_markup),
    Q(
        "zh-gb2312-acnnewswire-press-2005.xml",
        "rss2",
        "pubDate '+0900' with no space before the offset",
        first_date(datetime(2005, 12, 27, 4, 8, 54, tzinfo=UTC)),  # 13:08:54+0900
    ),
    Q("zh-gb2312-acnnewswire-press-2005.xml", "rss2", CHARDET_COMMENT, count(8)),
    Q(
        "zh-gb2312-w3cn-articles-2005.xml",
        "rss2",
        "non-RFC822 pubDate '2005-5-28 16:05:36'",
        first_date(datetime(2005, 5, 28, 16, 5, 36, tzinfo=UTC)),
    ),
    Q("zh-gb2312-w3cn-articles-2005.xml", "rss2", "CDATA; dc/trackback/wfw", count(20)),
    Q("zh-gb2312-cnblog-rss092-2004.xml", "rss2", "RSS 0.92 with no guid", count(16)),
    Q("zh-gb2312-cnblog-rss092-2004.xml", "rss2", "links differ by #fragment", distinct_keys),
    Q("zh-gb2312-cnblog-rss092-2004.xml", "rss2", "no dates", undated),
    Q(
        "zh-gb2312-cnblog-rss092-2004.xml",
        "rss2",
        "one empty title",
        every(lambda i: bool(i.title)),
    ),
    Q("zh-gb2312-cnblog-rss092-2004.xml", "rss2", "HTML in CDATA descriptions", no_markup),
    Q("zh-gb2312-cnblog-rss092-2004.xml", "rss2", "malformed generator comment", cjk_titles),
    Q("zh-gb2312-coverer-rss091-mt.xml", "rss2", "RSS 0.91, no guid, no dates", undated),
    Q("zh-gb2312-coverer-rss091-mt.xml", "rss2", "<br><hr> inside CDATA", no_markup),
    Q("zh-gb2312-softsea-software-2005.xml", "rss2", "100 items", count(100)),
    Q(
        "zh-gb2312-softsea-software-2005.xml",
        "rss2",
        "double-escaped &amp;nbsp; in description",
        every(lambda i: "&nbsp;" not in i.summary and "nbsp" not in i.summary),
    ),
    Q(
        "zh-gb2312-westca-blog-rss1.xml",
        "rss1",
        "ids only via rdf:about",
        every(lambda i: bool(i.guid)),
    ),
    Q("zh-gb2312-westca-blog-rss1.xml", "rss1", "dc:date", dated),
    Q("zh-gb2312-eighthday-blogger-atom03.xml", "atom", "Atom 0.3", count(7)),
    Q("zh-gb2312-eighthday-blogger-atom03.xml", "atom", "mode=escaped content", no_markup),
    Q(
        "zh-gb2312-eighthday-blogger-atom03.xml",
        "atom",
        "xml:base on content; standalone GB2312 prolog",
        links_under("http://eighthday.blogspot.com/2005/"),
    ),
    Q(
        "zh-gb2312-kc0011-forum-2020.rss",
        "rss2",
        "pubDate '2020/1/10 14:33:00' (not RFC822, no zone)",
        first_date(datetime(2020, 1, 10, 14, 33, tzinfo=UTC)),
    ),
    Q("zh-gb2312-kc0011-forum-2020.rss", "rss2", "relative img src in CDATA", no_markup),
    Q("zh-gb2312-kc0011-forum-2020.rss", "rss2", "no guid", distinct_keys),
    Q("zh-big5-coolloud-rss1-2005.xml", "rss1", "Big5", cjk_titles),
    Q(
        "zh-big5-coolloud-rss1-2005.xml",
        "rss1",
        "not well-formed: truncated character reference",
        lambda feed: len(feed.items) == 20 and "malformed" in (feed.warning or ""),
    ),
    Q(
        "zh-big5-coolloud-rss1-2005.xml",
        "rss1",
        "Chinese text inside an rdf:about URL",
        links_under("http://www.coolloud.org.tw/"),
    ),
    Q(
        "zh-hk-hket-hongkong-2020.xml",
        "rss2",
        "fullwidth spaces in titles still separate their halves",
        lambda feed: (
            feed.items[0].title
            in (
                "【新冠肺炎】機動部隊23歲男警初步確診\u3000同組訓練40多名警員或要檢疫",
                "【新冠肺炎】機動部隊23歲男警初步確診 同組訓練40多名警員或要檢疫",
            )
        ),
    ),
    Q("zh-hk-mingpao-pns-2020.xml", "rss2", "all items of a day share one pubDate", count(82)),
    Q(
        "zh-hk-mingpao-pns-2020.xml",
        "rss2",
        "'20:30:00 GMT' item dates",
        first_date(datetime(2020, 8, 7, 20, 30, tzinfo=UTC)),
    ),
    Q("zh-hk-mingpao-pns-2020.xml", "rss2", "CDATA titles; media: namespace", no_markup),
    Q(
        "zh-hk-rthk-local-2020.xml",
        "rss2",
        "items have no <link>: the permalink guid is the link",
        links_under("https://news.rthk.hk/rthk/ch/component/k2/"),
    ),
    Q("zh-hk-rthk-local-2020.xml", "rss2", "declares zh-CN, text Traditional", cjk_titles),
    Q("zh-meituan-tech-blog-2025.xml", "rss2", "newline before the XML declaration", count(10)),
    Q(
        "zh-meituan-tech-blog-2025.xml",
        "rss2",
        "content:encoded duplicates description",
        every(lambda i: i.content == ""),
    ),
    Q("zh-ruanyifeng-blog-rss-2025.xml", "rss2", "language en on a Chinese feed", cjk_titles),
    Q("zh-ruanyifeng-blog-rss-2025.xml", "rss2", "leading newline; large CDATA", count(6)),
    Q(
        "zh-v2ex-atom-2025.xml",
        "atom",
        "<updated> earlier than <published>: published wins",
        first_date(datetime(2025, 12, 1, 3, 52, 42, tzinfo=UTC)),
    ),
    Q("zh-v2ex-atom-2025.xml", "atom", "HTML content; xml:base", no_markup),
    Q(
        "ru-win1251-oren-news-2014.xml",
        "rss2",
        "default xmlns on <rss>; windows-1251",
        all_of(count(10), cyrillic_titles),
    ),
    Q(
        "ru-win1251-oren-news-2014.xml",
        "rss2",
        "yandex:full-text",
        every(lambda i: len(i.content) > 100),
    ),
    Q(
        "ru-win1251-oren-news-2014.xml",
        "rss2",
        "+0600 offset",
        first_date(datetime(2014, 1, 22, 14, 31, 31, tzinfo=UTC)),
    ),
    Q(
        "ru-win1251-newsru-all-2006.xml",
        "rss2",
        "day without leading zero",
        first_date(datetime(2006, 1, 3, 16, 57, tzinfo=UTC)),
    ),
    Q("ru-win1251-newsru-all-2006.xml", "rss2", "no guid; windows-1251", cyrillic_titles),
    Q(
        "ru-koi8r-newsru-all-2006.xml",
        "rss2",
        "KOI8-R copy of the windows-1251 capture reads the same",
        lambda feed: (
            [i.title for i in feed.items]
            == [i.title for i in parsed("ru-win1251-newsru-all-2006.xml", "rss2").items]
        ),
    ),
    Q(
        "ru-win1251-aviaport-yandex-2006.xml",
        "rss2",
        "yandex:full-text",
        every(lambda i: bool(i.content)),
    ),
    Q("ru-koi8r-intertat-yandex-2006.xml", "rss2", "KOI8-R, default xmlns", cyrillic_titles),
    Q("ru-koi8r-intertat-yandex-2006.xml", "rss2", "&#185; char ref", no_markup),
    Q("ru-koi8r-aif-health-rss091-2006.xml", "rss2", "Netscape DOCTYPE (external DTD)", count(17)),
    Q(
        "ru-koi8r-aif-health-rss091-2006.xml",
        "rss2",
        "no dates, no guids",
        all_of(undated, distinct_keys),
    ),
    Q(
        "ru-win1251-anthropology-2006.xml",
        "rss2",
        "date-only dc:date",
        first_date(datetime(2004, 12, 13, tzinfo=UTC)),
    ),
    Q("ru-win1251-anthropology-2006.xml", "rss2", "'Windows-1251' capitalised", cyrillic_titles),
    Q(
        "ru-win1251-ibash-quotes-2018.xml",
        "rss2",
        "titles are just 'Цитата #NNNN'",
        all_of(count(50), every(lambda i: i.title.startswith("Цитата #"))),
    ),
    Q(
        "ru-win1251-ibash-quotes-2018.xml",
        "rss2",
        "<br /> in CDATA descriptions (IRC nicks like <L29Ah> are text)",
        lambda feed: (
            not any("<br" in i.summary for i in feed.items)
            and sum("\n" in i.summary for i in feed.items) * 2 > len(feed.items)
        ),
    ),
    Q("ru-bom-citydog-by-2017.xml", "rss2", "UTF-8 BOM; no encoding declared", cyrillic_titles),
    Q(
        "ru-bom-citydog-by-2017.xml",
        "rss2",
        "served without a content type, the BOM still decides",
        lambda feed: (
            [i.title for i in feed.items]
            == [
                i.title
                for i in parse_body(
                    read_capture("ru-bom-citydog-by-2017.xml"), url=BASE, content_type=None
                ).items
            ]
        ),
    ),
    Q("ru-mojibake-yandex-news-moscow.xml", "rss2", "MOJIBAKE (double-encoded)", cyrillic_titles),
    Q(
        "ru-mojibake-yandex-news-moscow.xml",
        "rss2",
        "pubDate without weekday",
        first_date(datetime(2017, 1, 7, 14, 12, 53, tzinfo=UTC)),
    ),
    Q(
        "en-wapo-wellness.xml",
        "rss2",
        "pubDate with zone name 'EST'",
        first_date(datetime(2012, 8, 21, 15, 33, tzinfo=UTC)),
    ),
    Q("en-braingle-guid-dupes-2014.xml", "rss2", "two identical <guid> elements", count(1)),
    Q("en-iso8859-dailymail-mediacontent-dupes.xml", "rss2", "repeated media:content", count(1)),
    Q(
        "en-tpm-all-news.atom",
        "atom",
        "relative hrefs without xml:base resolve against the document",
        links_under("https://capture.example/"),
    ),
    Q(
        "en-intertwingly-samruby.atom",
        "atom",
        "relative URIs resolved against the document URL",
        links_under("https://capture.example/blog/"),
    ),
    Q(
        "en-pcmag-dvorak-illegally-nested.xml",
        "rss2",
        "10 real items, nested empties dropped",
        count(10),
    ),
    Q(
        "en-neverwinter-relative-urls-2017.xml",
        "rss2",
        "relative item links",
        links_under("https://capture.example/en/games/neverwinter/news/detail/"),
    ),
    Q(
        "en-neverwinter-relative-urls-2017.xml",
        "rss2",
        "2-digit year",
        first_date(datetime(2017, 12, 7, 18, 0, 29, tzinfo=UTC)),
    ),
    Q(
        "en-guardian-us-2018.rss",
        "rss2",
        "dc:date + pubDate; HTML description",
        all_of(dated, no_markup),
    ),
    Q(
        "pt-uol-noticias-no-prolog-2018.rss",
        "rss2",
        "no XML declaration, ISO-8859-1 bytes",
        lambda feed: (
            feed.items[0].title.startswith("Ibope: Bolsonaro perde de Haddad")
            and "simulações" in feed.items[0].title
        ),
    ),
    Q(
        "pt-uol-noticias-no-prolog-2018.rss",
        "rss2",
        "Portuguese day/month names in pubDate",
        all_of(dated, lambda feed: feed.items[0].published.month == 9),  # type: ignore[union-attr]
    ),
    Q("pt-uol-noticias-no-prolog-2018.rss", "rss2", "CDATA inside <link>", links_under("https://")),
    Q(
        "pt-iso8859-jn-ultimas-2018.rss",
        "rss2",
        "ISO-8859-1 declared",
        lambda feed: feed.items[0].title == "Mãe de utente é a nova presidente da Raríssimas",
    ),
    Q(
        "pt-iso8859-jn-ultimas-2018.rss",
        "rss2",
        "newline inside <lastBuildDate>; no guid",
        count(40),
    ),
    Q(
        "en-science-twis-rss1.rss",
        "rss1",
        "RSS 1.0, ids via rdf:about",
        every(lambda i: bool(i.guid)),
    ),
    Q(
        "en-techcrunch-feedburner-leading-space.xml",
        "rss2",
        "newline before the declaration",
        count(20),
    ),
    Q(
        "en-huffpost-canada-2017.xml",
        "rss2",
        "CDATA wrapped in whitespace inside <title>",
        every(lambda i: i.title == i.title.strip() and "\n" not in i.title),
    ),
    Q("en-huffpost-canada-2017.xml", "rss2", "one item without guid", count(2)),
    Q("en-google-alerts-html-titles.xml", "atom", "HTML (<b>) in titles", no_markup),
    Q(
        "en-google-alerts-html-titles.xml",
        "atom",
        "links are google.com/url redirects",
        links_under("https://www.google.com/url?"),
    ),
    Q("en-inessential-jsonfeed-v1.json", "jsonfeed", "JSON Feed 1.0", all_of(count(20), dated)),
    Q("en-reuters-world-feedburner-2017.xml", "rss2", "FeedBurner PIs; origLink", count(10)),
    Q("en-nytimes-homepage-2017.xml", "rss2", "a title with escaped <div> markup", no_markup),
    Q("en-bom-moscowtimes-2017.xml", "rss2", "UTF-8 BOM before the declaration", count(50)),
    Q(
        "en-bom-ctvnews-top-2017.xml",
        "rss2",
        "UTF-8 BOM; CDATA with whitespace; source mojibake",
        every(lambda i: "â€" not in i.title + i.summary and i.title == i.title.strip()),
    ),
    Q("en-indianexpress-large.xml", "rss2", "200 items with big content:encoded", count(200)),
    Q("en-japantimes-latest.xml", "rss2", "no item has a date", all_of(count(118), undated)),
    Q("en-theverge-frontpage-2017.atom.xml", "atom", "HTML content; mojibake", no_markup),
    Q("de-bom-orf-news-rss1.xml", "rss1", "UTF-8 BOM; orfon: namespace", all_of(count(50), dated)),
    Q("en-livemint-news.xml", "rss2", "HTML (<span>) in a CDATA title", no_markup),
    Q(
        "en-daringfireball-xmlbase.atom",
        "atom",
        "xml:base on content",
        first_date(datetime(2017, 6, 27, 0, 54, 17, tzinfo=UTC)),
    ),
    Q("en-daringfireball-jsonfeed.json", "jsonfeed", "JSON Feed 1.0", count(48)),
    Q("en-pxlnv-jsonfeed-http-version.json", "jsonfeed", "version URL with http://", count(20)),
    Q(
        "en-scriptingnews-oldschool.rss",
        "rss2",
        "39 of 50 items without <title>",
        all_of(count(50), every(lambda i: bool(i.title))),
    ),
    Q("en-scriptingnews-oldschool.rss", "rss2", "2 duplicated guids", distinct_keys),
    Q("en-macworld-no-prolog.rss", "rss2", "no declaration; blank lines before <rss>", count(30)),
    Q("en-biorxiv-rss1-no-prolog.rdf", "rss1", "RSS 1.0 without declaration; date-only", dated),
    Q(
        "de-heise-rss090.xml",
        "rss1",
        "RSS 0.90: no dates, no ids",
        all_of(count(60), undated, distinct_keys),
    ),
    Q(
        "de-iso8859-golem.xml",
        "rss2",
        "ISO-8859-1 declared",
        lambda feed: "wünschen" in feed.items[0].summary,
    ),
    Q(
        "fr-no-prolog-iso8859-cerclepsy.xml",
        "rss2",
        "no declaration, ISO-8859-1 bytes; one empty item",
        lambda feed: (
            len(feed.items) == 9
            and feed.items[0].title == "Perturbateurs endocriniens : quels effets sur le cerveau ?"
        ),
    ),
    Q(
        "en-scmp-hongkong-xmlbase-2020.xml",
        "rss2",
        "bogus xml:base='link' on <rss>",
        links_under("https://www.scmp.com/"),
    ),
]


@pytest.mark.parametrize("quirk", [pytest.param(q, id=f"{q.file}: {q.quirk}") for q in QUIRKS])
def test_quirk(quirk: Quirk) -> None:
    """The capture parses as its quirk demands (see the test id)."""
    assert quirk.check(parsed(quirk.file, quirk.kind))
