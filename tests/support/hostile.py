"""Hostile bodies an attacker could serve, shared by the tests and benchmarks/bench_hostile.py.

Each builder returns (body, content type). Sizes are parameters so unit tests stay small while
the benchmark uses the sizes of the review that found the problems (issue 9).
"""

from __future__ import annotations

import gzip
from xml.sax.saxutils import escape

RSS = "application/rss+xml"
ITEM_TERMS_RU = (
    "ШОС и Россия: сотрудничество в борьбе с незаконным оборотом наркотиков, "
    "операция «Канал Центр», обмен разведывательной информацией, контроль прекурсоров. "
)


def rss(items: list[str], *, prolog: str = "", title: str = "Hostile feed") -> str:
    """An RSS 2.0 document around ready-made `<item>` elements."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link>"
        + "".join(items)
        + "</channel></rss>"
    )


def item(guid: str, title: str, description: str = "", *, raw: bool = False) -> str:
    """One `<item>`; the description is escaped, as feeds carry HTML (or kept as is: `raw`)."""
    return (
        f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
        f"<link>http://example.org/{escape(guid)}</link>"
        f"<description>{description if raw else escape(description)}</description></item>"
    )


def regex_bait(comments: int = 40) -> tuple[bytes, str]:
    """`<!---->` repeated: a backtracking sniffing pattern doubles its time per comment."""
    return b"<!---->" * comments, "application/octet-stream"


def nested_divs(depth: int = 40_000) -> tuple[bytes, str]:
    """One item whose description is `depth` nested `<div>` (escaped, as in a real feed)."""
    markup = "<div>" * depth + "deep text" + "</div>" * depth
    return rss([item("nested", "Nested markup", markup)]).encode(), RSS


def entity_bomb(
    encoding: str = "utf-16", *, value_size: int = 20_000, references: int = 2_000
) -> tuple[bytes, str]:
    """A plain-text entity of `value_size` characters named `references` times ("quadratic
    blowup"), encoded in `encoding` (utf-16 carries a BOM; utf-16-le has none)."""
    # One declaration per line, as feedparser's fallback parser only reads those.
    prolog = f'<!DOCTYPE rss [\n<!ENTITY big "{"x" * value_size}">\n]>\n'
    body = rss([item("bomb", "Entity bomb", "&big;" * references, raw=True)], prolog=prolog)
    body = body.replace('encoding="utf-8"', f'encoding="{encoding}"')
    return body.encode(encoding), RSS


def billion_laughs(encoding: str = "utf-8", *, levels: int = 10) -> tuple[bytes, str]:
    """The classic nested entity expansion (10 levels of 10 references)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    ]
    prolog = "<!DOCTYPE rss [\n" + "\n".join(entities) + "\n]>\n"
    body = rss([item("laughs", "Laughs", f"&lol{levels - 1};", raw=True)], prolog=prolog)
    body = body.replace('encoding="utf-8"', f'encoding="{encoding}"')
    return body.encode(encoding), RSS


def cyrillic_item(size: int = 1_400_000, *, guid: str = "ru-big") -> tuple[bytes, str]:
    """One item of about `size` bytes of Russian text full of the default topic's terms."""
    text = ITEM_TERMS_RU * max(1, size // len(ITEM_TERMS_RU.encode()))
    return rss([item(guid, "ШОС: сотрудничество против наркотиков", text)]).encode(), RSS


def deep_nesting(depth: int = 50_000) -> tuple[bytes, str]:
    """Unescaped nested XML elements inside an item (an XML parser's recursion)."""
    inner = "<x>" * depth + "deep" + "</x>" * depth
    return rss([f"<item><title>Deep</title><guid>deep</guid>{inner}</item>"]).encode(), RSS


def one_long_line(size: int = 5_000_000) -> tuple[bytes, str]:
    """A feed of about `size` bytes with no line break: one item whose text is one line."""
    words = "word " * (size // 5)
    return rss([item("line", "One line", words)]).encode(), RSS


def gzip_bomb(size: int = 200_000_000) -> bytes:
    """`size` zero bytes gzip-compressed (a couple of hundred KB), for a Content-Encoding."""
    return gzip.compress(b"\0" * size, compresslevel=9)


def invalid_utf8(size: int = 1_000_000) -> tuple[bytes, str]:
    """A feed declared UTF-8 whose item text is bytes that are not UTF-8."""
    bad = bytes(range(0x80, 0x100)) * (size // 128)
    head, tail = rss([item("bad", "Bad bytes", "@@")]).encode().split(b"@@")
    return head + bad + tail, RSS


def huge_attributes(size: int = 2_000_000) -> tuple[bytes, str]:
    """Elements with attribute values of `size` bytes, in the XML and in escaped HTML."""
    value = "a" * (size // 2)
    html = f'<p title="{value}">text</p>'
    body = rss([item("attr", "Attributes", html)])
    body = body.replace("<item>", f'<item x="{value}">', 1)
    return body.encode(), RSS


def malformed_tags(count: int = 40_000) -> tuple[bytes, str]:
    """`<a ` repeated and never closed, in a description: re-scanning parsers go quadratic."""
    return rss([item("tags", "Open tags", "<a " * count)]).encode(), RSS


def normal_feed(items: int = 5, *, prefix: str = "normal") -> tuple[bytes, str]:
    """An ordinary feed of short English news items."""
    return (
        rss(
            [
                item(
                    f"{prefix}-{n}",
                    f"{prefix} story {n}: city council approves new budget",
                    "<p>The council met on Tuesday and <b>approved</b> the budget for roads, "
                    "schools and parks after a long debate.</p>" * 8,
                )
                for n in range(items)
            ]
        ).encode(),
        RSS,
    )
