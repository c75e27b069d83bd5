"""Hypothesis strategies for hostile input: text with the characters that break things, feeds
in every format and encoding we read, and checks that an output is safe to store and send."""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from bot.core.models import Item

# Characters that broke, or could break, a database, Telegram, a terminal or a parser.
NASTY = [
    "\x00",
    "\x07",
    "\x1b",
    "\x1b[2J",
    "\x7f",
    "\x85",
    "\x9b",
    "\ud800",
    "\udfff",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\u2028",
    "\u202e",
    "\u200b",
    "&",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&nbsp;",
    "<",
    ">",
    '"',
    "'",
    "]]>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<b>",
    "</a>",
    '<a href="',
    "[/]",
    "[bold]",
    "😀",
    "🇨🇳",
    "禁毒",
    "наркотики",
    "e\u0301",
    "\r\n",
    "\t",
    " ",
    "http://",
    "javascript:",
    "%00",
    "[::1",
    ":99999",
]

hostile_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(NASTY)), max_size=12).map(
    "".join
)
"""Short strings mixing arbitrary Unicode (surrogates included) with known troublemakers."""

printable_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=40
) | st.sampled_from(["China SCO anti-drug cooperation", "禁毒合作", "сотрудничество"])

hostile_link = st.one_of(
    st.none(),
    hostile_text,
    st.builds(lambda tail: "https://news.example/" + tail, hostile_text),
    st.builds(
        lambda n, c: "https://news.example/?" + c * n,
        st.integers(0, 3000),
        st.sampled_from("&\"'<"),
    ),
    st.sampled_from(["http://[::1/x", "http://example.com:99999/", "//no-scheme", "mailto:x@y"]),
)

ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp1251", "gb18030", "latin-1", "koi8-r"]


def _xml_text(text: str, raw: bool) -> str:
    return text if raw else escape(text)


def _rss(items: list[dict[str, str | None]], raw: bool, version: str) -> str:
    body = "".join(
        "<item>"
        + "".join(
            f"<{tag}>{_xml_text(value, raw)}</{tag}>"
            for tag, value in item.items()
            if value is not None
        )
        + "</item>"
        for item in items
    )
    return f'<rss version="{version}"><channel><title>t</title>{body}</channel></rss>'


def _atom(items: list[dict[str, str | None]], raw: bool) -> str:
    entries = []
    for item in items:
        link = item.get("link")
        href = f"<link href={quoteattr(link)}/>" if link is not None else ""
        entries.append(
            f"<entry><id>{_xml_text(item.get('guid') or 'x', raw)}</id>"
            f"<title>{_xml_text(item.get('title') or '', raw)}</title>{href}"
            f"<summary type='html'>{_xml_text(item.get('description') or '', raw)}</summary>"
            "</entry>"
        )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>' + "".join(entries) + "</feed>"
    )


def _rdf(items: list[dict[str, str | None]], raw: bool) -> str:
    body = "".join(
        f"<item rdf:about={quoteattr(item.get('link') or 'http://x.example/')}>"
        f"<title>{_xml_text(item.get('title') or '', raw)}</title>"
        f"<link>{_xml_text(item.get('link') or '', raw)}</link>"
        f"<description>{_xml_text(item.get('description') or '', raw)}</description></item>"
        for item in items
    )
    return (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://x.example/"><title>t</title>'
        f"</channel>{body}</rdf:RDF>"
    )


def _json_feed(items: list[dict[str, str | None]]) -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "t",
            "items": [
                {
                    "id": item.get("guid"),
                    "url": item.get("link"),
                    "title": item.get("title"),
                    "content_html": item.get("description"),
                }
                for item in items
            ],
        }
    )


def _html_page(items: list[dict[str, str | None]], raw: bool) -> str:
    articles = "".join(
        f"<article><h2><a href={quoteattr(item.get('link') or '/')}>"
        f"{_xml_text(item.get('title') or '', raw)}</a></h2>"
        f"<p>{_xml_text(item.get('description') or '', raw)}</p></article>"
        for item in items
    )
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{articles}</body></html>"


feed_items = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.one_of(st.none(), hostile_text),
            "link": hostile_link,
            "guid": st.one_of(st.none(), hostile_text),
            "description": st.one_of(st.none(), hostile_text),
        }
    ),
    max_size=4,
)


@st.composite
def feed_bodies(draw: st.DrawFn) -> tuple[bytes, str | None, str]:
    """(body, content type, source type) of a feed or page in some format and encoding."""
    items = draw(feed_items)
    raw = draw(st.booleans())
    kind = draw(st.sampled_from(["rss2", "rss091", "atom", "rdf", "json", "html"]))
    if kind == "json":
        text = _json_feed(items)
        body = text.encode(draw(st.sampled_from(["utf-8", "utf-16"])), "surrogatepass")
        return (
            body,
            draw(st.sampled_from(["application/feed+json", "application/json", None])),
            "feed",
        )
    text = {
        "rss2": lambda: _rss(items, raw, "2.0"),
        "rss091": lambda: _rss(items, raw, "0.91"),
        "atom": lambda: _atom(items, raw),
        "rdf": lambda: _rdf(items, raw),
        "html": lambda: _html_page(items, raw),
    }[kind]()
    encoding = draw(st.sampled_from(ENCODINGS))
    declared = draw(st.sampled_from([encoding, "utf-8", "windows-1252", None]))
    if kind != "html" and declared is not None:
        text = f'<?xml version="1.0" encoding="{declared}"?>' + text
    body = text.encode(encoding, "replace")
    content_type = draw(
        st.sampled_from(
            [
                None,
                "application/rss+xml",
                "application/atom+xml",
                "text/xml; charset=" + (declared or "utf-8"),
                "text/html",
                "application/octet-stream",
            ]
        )
    )
    return body, content_type, "html" if kind == "html" else "feed"


_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def assert_storable(item: Item) -> None:
    """An item PostgreSQL stores and Telegram accepts: valid UTF-8, no NUL or controls, and a
    link that is absolute http(s) when there is one."""
    for name in ("title", "summary", "content", "guid", "author", "lang", "link"):
        value = getattr(item, name)
        if value is None:
            continue
        assert not _UNSAFE.search(value), (name, value[:80])
        value.encode("utf-8")
    if item.link is not None:
        assert item.link.startswith(("http://", "https://")), item.link[:80]
