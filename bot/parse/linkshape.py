"""What a link looks like, for finding a page's article list: headline text, article-like
URLs, the site a URL belongs to, and dates written in URLs and page text."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from bot.parse.dates import parse_date

MIN_HEADLINE_WIDTH = 16
"""Display width (a CJK character counts 2): 8 Chinese characters or ~3 English words. Menu
entries ("要聞港聞", "World News") are shorter; headlines are rarely shorter."""
MAX_HEADLINE_WIDTH = 400
MIN_LISTED_WIDTH = 8
"""A shorter headline still counts inside a list already found ("坦言集：技術戰")."""

_SECOND_LEVEL = frozenset({"com", "co", "org", "net", "gov", "edu", "ac", "or", "ne", "go"})
_ID = re.compile(r"\d{4,}")
_SLUG = re.compile(r"[^/]*[-_][^/]*[-_][^/]*")
_INDEX_PAGE = re.compile(r"(^|/)(index|default|home|main)\.\w+$", re.I)
_NOT_ARTICLE = re.compile(
    r"/(tag|tags|topic|topics|category|categories|author|authors|users?|hub|hubs|"
    r"search|login|auth|register|signup|subscribe|feed|rss|about|contact|privacy|terms|"
    r"cdn-cgi)(/|$)|/page/\d+/?$",
    re.I,
)
_FILE = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp[34]|css|js)$", re.I)
_URL_DATES = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[/-](?P<m>[01]?\d)[/-](?P<d>[0-3]?\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)[/-]?(?P<d>[0-3]\d)(?!\d)"),
)
_TEXT_DATE = re.compile(
    r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}"
    r"(?: \d{1,2}:\d\d(?: ?[ap]m)?)?"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}"
    r"(?: \d{1,2}:\d\d(?: ?[AP]M)?)?"
    r"|(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:[ T]\d{1,2}:\d\d)?"
    r"|\b\d{1,2}\.\d{1,2}\.(?:19|20)\d\d\b",
    re.I,
)
_TEXT_FORMATS = (
    "%d %b %Y %I:%M %p",
    "%d %b %Y %I:%M%p",
    "%d %B %Y %I:%M %p",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y",
    "%B %d, %Y %I:%M %p",
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y",
    "%b %d, %Y",
)


def text_width(text: str) -> int:
    """Display width: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def is_headline(text: str, *, min_width: int = MIN_HEADLINE_WIDTH) -> bool:
    """Text long enough to be a headline, not a menu entry, a button or a date."""
    width = text_width(text)
    if not min_width <= width <= MAX_HEADLINE_WIDTH:
        return False
    return not (text.replace(" ", "").isdigit() or is_dateline(text))


def is_dateline(text: str) -> bool:
    """Text that is mostly a date ("March 6, 2016 1:46 PM PT"): a post's dateline links to
    it, but is not its title nor its summary."""
    dated = _TEXT_DATE.search(" ".join(text.split()))
    return dated is not None and len(dated.group(0)) * 2 >= len(text.strip())


def site_of(url: str) -> str:
    """The registrable part of a URL's host: `www2.hkej.com` -> `hkej.com`,
    `news.mingpao.com.hk` -> `mingpao.com.hk`; an IP address as it is."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""
    labels = host.split(".")
    if len(labels) <= 2 or host.replace(".", "").isdigit():
        return host
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def article_likeness(url: str) -> float:
    """0 for what is surely not an article (files, tag/author/login pages, a site's root),
    up to 1 for a path with a date, a numeric id or a long slug."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return 0.0
    path = unquote(parts.path)
    if _FILE.search(path) or _NOT_ARTICLE.search(path):
        return 0.0
    if _INDEX_PAGE.search(path) and not _ID.search(parts.query):
        return 0.0  # a section's front page; `index.php?id=113658` is an article
    segments = [s for s in path.split("/") if s]
    if not segments and not parts.query:
        return 0.0
    score = 0.0
    if _ID.search(path) or _ID.search(parts.query):
        score += 0.5
    if url_date(url) is not None:
        score += 0.3
    if any(_SLUG.fullmatch(s) for s in segments):
        score += 0.4
    if len(segments) >= 2:
        score += 0.2
    return min(score, 1.0)


def section_of(url: str) -> str:
    """A URL's section of its site: host and first two path segments."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    segments = [s for s in parts.path.split("/") if s][:2]
    return "/".join([parts.netloc, *segments])


def _sections(urls: list[str]) -> dict[str, int]:
    sections: dict[str, int] = {}
    for url in urls:
        key = section_of(url)
        sections[key] = sections.get(key, 0) + 1
    return sections


def section_share(urls: list[str]) -> float:
    """The share of URLs in the most common section."""
    sections = _sections(urls)
    return max(sections.values()) / len(urls) if sections else 0.0


def dominant_section(urls: list[str]) -> str:
    """The most common section of the URLs ("" for none)."""
    sections = _sections(urls)
    return max(sections, key=lambda key: sections[key]) if sections else ""


def url_date(url: str) -> datetime | None:
    """A date written in a URL's path (`/2020/08/07/`, `/20200809/`, `/202103/01/`)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for pattern in _URL_DATES:
        for found in pattern.finditer(path):
            try:
                return datetime(int(found["y"]), int(found["m"]), int(found["d"]), tzinfo=UTC)
            except ValueError:
                continue
    return None


def text_date(text: str) -> datetime | None:
    """The first date written in page text ("7 Aug 2020 3:48 pm", "March 6, 2016",
    "2020-08-09 14:30", "2020年8月9日"), as UTC (pages rarely say their zone)."""
    for found in _TEXT_DATE.finditer(" ".join(text.split())):
        value = found.group(0)
        parsed = (
            _english(value)
            or parse_date(re.sub(r"[年月/]", "-", value).replace("日", ""))
            or parse_date(value)
        )
        if parsed is not None:
            return parsed
    return None


def _english(value: str) -> datetime | None:
    cleaned = re.sub(r"\s+", " ", value.strip())
    for fmt in _TEXT_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
