"""RSS 0.9x/1.0/2.0, RDF and Atom bodies to items, through feedparser (bytes only, no fetching)."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser
from feedparser.encodings import convert_to_utf8

from bot.core.models import Item, ParsedFeed
from bot.errors import ParseError
from bot.parse.charrefs import without_bad_charrefs
from bot.parse.dates import from_struct_time, parse_date
from bot.parse.fields import absolute_link, capped_items, language, plain, title_or_excerpt
from bot.parse.sniff import looks_like_html

# A charset or content type other than declared is normal on the web, not damage.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY = re.compile(rb"<!ENTITY[^>]*>")
_PLAIN_ENTITY = re.compile(rb'<!ENTITY\s+(\w+)\s+"([^"&]*)"')
_ENTITY_REFERENCE = re.compile(rb"&(\w+);")
MAX_ENTITY_GROWTH = 1024 * 1024
MAX_ELEMENTS_PER_KB = 64
"""Real feeds carry at most about 25 elements per KB (escaped or CDATA HTML included)."""
_DENSITY_FROM = 64 * 1024


def parse_feed(
    body: bytes, *, url: str, content_type: str | None, max_items: int | None = None
) -> ParsedFeed:
    """Items of an RSS/RDF/Atom feed, the newest `max_items` of them; ParseError when the body
    is not a feed at all."""
    # Without a content type feedparser takes the body for Latin-1 whatever its BOM says;
    # XML with no charset is the document's own to declare (RFC 7303), UTF-8 by default.
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    text, headers = as_utf8(body, headers)
    check_markup_density(text)
    # A stream, never bytes or str: given those, feedparser tries them as a path or URL first.
    try:
        parsed = feedparser.parse(
            io.BytesIO(without_bad_charrefs(without_entity_bomb(text))),
            response_headers=headers,
            sanitize_html=False,  # everything becomes plain text, so sanitising is wasted work
            resolve_relative_uris=False,  # links are resolved here; markup is dropped anyway
        )
    except (UnicodeError, ValueError) as exc:  # a reference to no character, in UTF-16 say
        raise ParseError(f"feed could not be parsed ({type(exc).__name__})") from exc
    entries: list[Any] = parsed.get("entries") or []
    problem = _problem(parsed)
    if not entries and (problem or not parsed.get("version")):
        raise ParseError(_not_a_feed(body, content_type, problem))
    feed = parsed.get("feed") or {}
    feed_lang = language(feed.get("language"))
    items, beyond_cap = capped_items(
        (_item(entry, url=url, feed_lang=feed_lang) for entry in entries), max_items
    )
    return ParsedFeed(
        items=items,
        title=plain(feed.get("title")) or None,
        warning=f"feed is malformed ({problem}); kept {len(entries)} entries" if problem else None,
        beyond_cap=beyond_cap,
    )


def as_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The body in UTF-8, decoded as feedparser would (BOM, XML declaration, HTTP charset),
    with headers that say so; unchanged when no encoding fits.

    Checks of the markup (the entity guard below) must see the text feedparser will parse:
    in UTF-16, `<!ENTITY` is not those bytes, and a bomb went through unnoticed.
    """
    detected: dict[str, Any] = {}
    converted = convert_to_utf8(headers, body, detected)
    if not detected.get("encoding"):
        return body, headers
    relabelled = dict(headers)
    if "content-type" in headers:
        media = headers["content-type"].split(";", 1)[0].strip()
        relabelled["content-type"] = f"{media}; charset=utf-8"
    return converted, relabelled


def check_markup_density(text: bytes) -> None:
    """ParseError when a large body holds far more elements per KB than any real feed.

    feedparser spends tens of microseconds on every element, so a body made of tiny or deeply
    nested elements (`<x><x><x>...`) cost over 20 s per MB, 40 times a real feed. Counting
    tag openings is one pass in C, and bounds the cost per MB of what is parsed.
    """
    if len(text) < _DENSITY_FROM:
        return
    elements = text.count(b"<") - text.count(b"</") - text.count(b"<!") - text.count(b"<?")
    kib = len(text) // 1024
    if elements > MAX_ELEMENTS_PER_KB * kib:
        raise ParseError(
            f"feed refused: {elements:,} elements in {kib:,} KB "
            f"(over {MAX_ELEMENTS_PER_KB} per KB, far denser than any real feed)"
        )


def without_entity_bomb(body: bytes) -> bytes:
    """The body without its DTD entity declarations when expanding them would add over 1 MB.

    feedparser drops nested entities (billion laughs), and expat refuses large expansions, but
    feedparser's fallback parser then expands plain-text entities itself: one 20 KB entity named
    40,000 times in a 140 KB feed became 800 MB of text ("quadratic blowup"). The body must be
    UTF-8 (see `as_utf8`); references are counted in one pass, whatever the number of entities.
    """
    first = _FIRST_ELEMENT.search(body)
    prolog, rest = (body[: first.start()], body[first.start() :]) if first else (body, b"")
    if b"<!ENTITY" not in prolog:
        return body
    declared = dict(_PLAIN_ENTITY.findall(prolog))
    named = Counter(name for name in _ENTITY_REFERENCE.findall(rest) if name in declared)
    growth = sum(len(declared[name]) * count for name, count in named.items())
    if growth <= MAX_ENTITY_GROWTH:
        return body
    return _ENTITY.sub(b"", prolog) + rest


def _item(entry: Any, *, url: str, feed_lang: str | None) -> Item | None:
    raw_title = plain(entry.get("title"))
    link = absolute_link(entry.get("link"), url)
    if not raw_title and not link:
        return None
    summary = plain(entry.get("summary"))
    content = "\n\n".join(
        text for part in entry.get("content") or [] if (text := plain(part.get("value")))
    )
    if not content:
        # Yandex News feeds (most Russian news sites) carry the article in yandex:full-text.
        full_text = dict.get(entry, "yandex_full-text")
        content = plain(full_text) if isinstance(full_text, str) else ""
    published = _entry_date(entry)
    guid = entry.get("id")
    return Item(
        title=title_or_excerpt(raw_title, summary, content),
        link=link,
        guid=(guid.strip() or None) if isinstance(guid, str) else None,
        summary=summary,
        content=content if content != summary else "",
        published=published,
        author=plain(entry.get("author")) or None,
        lang=_entry_language(entry) or feed_lang,
    )


def _entry_date(entry: Any) -> datetime | None:
    for field in ("published", "updated", "created"):
        # dict.get: FeedParserDict.get maps updated to published with a DeprecationWarning.
        raw = dict.get(entry, field)
        text = raw.strip() if isinstance(raw, str) else ""
        ours = parse_date(text)
        if ours is not None and text[:1].isdigit():
            return ours  # feedparser reads "2020/1/10 14:33:00" as 1 November
        theirs = from_struct_time(dict.get(entry, f"{field}_parsed"))
        if theirs is not None or ours is not None:
            return theirs or ours  # ours reads localised month names: "Seg, 24 Set 2018"
    return None


def _entry_language(entry: Any) -> str | None:
    for field in ("title_detail", "summary_detail"):
        detail = entry.get(field) or {}
        found = language(detail.get("language"))
        if found:
            return found
    return language(entry.get("language"))


def _problem(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, _BENIGN_BOZO):
        return None
    if isinstance(exc, SAXParseException):
        return f"XML {exc.getMessage()} at line {exc.getLineNumber()}"
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _not_a_feed(body: bytes, content_type: str | None, problem: str | None) -> str:
    if not body.strip():
        return "not a feed: the body is empty"
    if looks_like_html(body, content_type):
        return "not a feed: got an HTML page"
    if problem:
        return f"not a feed: {problem}"
    return "not a feed: no RSS, Atom or RDF document found"
