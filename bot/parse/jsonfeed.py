"""JSON Feed 1.0 and 1.1 bodies to items (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
from typing import Any

from bot.core.models import Item, ParsedFeed
from bot.core.sanitize import clean_text
from bot.errors import ParseError
from bot.parse.dates import parse_date
from bot.parse.fields import absolute_link, capped_items, language, plain, title_or_excerpt

# Many real feeds (and the 1.0 examples of the time) name the version with http://.
_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def parse_json_feed(body: bytes, *, url: str, max_items: int | None = None) -> ParsedFeed:
    """Items of a JSON Feed, the newest `max_items` of them; ParseError when the body is not
    one."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not a JSON Feed: invalid JSON ({_short(exc)})") from exc
    if not isinstance(document, dict):
        raise ParseError("not a JSON Feed: the document is not an object")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(_VERSION_PREFIXES):
        raise ParseError("not a JSON Feed: no jsonfeed.org version")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise ParseError("not a JSON Feed: `items` is missing or not a list")
    feed_lang = language(_text(document.get("language")))
    base = url or _text(document.get("feed_url")) or ""
    items, beyond_cap = capped_items(
        (
            _item(entry, base=base, feed_lang=feed_lang)
            for entry in entries
            if isinstance(entry, dict)
        ),
        max_items,
    )
    skipped = sum(1 for entry in entries if not isinstance(entry, dict))
    return ParsedFeed(
        items=items,
        title=plain(_text(document.get("title"))) or None,
        warning=f"skipped {skipped} items that are not objects" if skipped else None,
        beyond_cap=beyond_cap,
    )


def _item(entry: dict[str, Any], *, base: str, feed_lang: str | None) -> Item | None:
    raw_title = plain(_text(entry.get("title")))
    link = absolute_link(_text(entry.get("url")) or _text(entry.get("external_url")), base)
    if not raw_title and not link:
        return None
    summary = plain(_text(entry.get("summary")))
    content = plain(_text(entry.get("content_html"))) or plain(_text(entry.get("content_text")))
    guid = entry.get("id")
    if isinstance(guid, bool) or not isinstance(guid, str | int):
        guid = None
    return Item(
        title=title_or_excerpt(raw_title, summary, content),
        link=link,
        # Numbers are common ids in the wild although the spec asks for strings.
        guid=(str(guid).strip() or None) if guid is not None else None,
        summary=summary or content,
        content=content if content != (summary or content) else "",
        published=parse_date(_text(entry.get("date_published")))
        or parse_date(_text(entry.get("date_modified"))),
        author=_author(entry),
        lang=language(_text(entry.get("language"))) or feed_lang,
    )


def _author(entry: dict[str, Any]) -> str | None:
    # 1.1 has a list of `authors`; 1.0 had one `author`.
    authors = entry.get("authors")
    candidates = authors if isinstance(authors, list) else [entry.get("author")]
    names = [plain(_text(person.get("name"))) for person in candidates if isinstance(person, dict)]
    joined = ", ".join(name for name in names if name)
    return joined or None


def _text(value: Any) -> str | None:
    # JSON's \u escapes can spell a lone surrogate or a NUL, which no later step can encode.
    return clean_text(value) if isinstance(value, str) else None


def _short(exc: Exception) -> str:
    return str(exc)[:120]
