"""OPML 2.0 writing and safe reading of sources, and deciding what an import adds (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from bot.core.models import HtmlSelectors
from bot.core.opml import (
    NAMESPACE,
    OpmlError,
    OpmlSource,
    parse_opml,
    plan_import,
    render_opml,
    url_key,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SOURCES = (
    OpmlSource("UNODC press", "https://unodc.example/rss?lang=en&x=1", interval_s=1800.0),
    OpmlSource(
        'Ministry <news> & "notes"',
        "https://ministry.example/news",
        type="html",
        interval_s=3600.0,
        topics=("drug-control-cooperation", "other"),
        selectors=HtmlSelectors(item="div.item", title="h2 a", link="h2 a", date="time"),
    ),
    OpmlSource("Plain", "http://plain.example/feed"),
)

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>reader export</title></head>
  <body>
    <outline text="Asia">
      <outline text="China">
        <outline text="Xinhua" type="rss" xmlUrl="https://xinhua.example/rss"/>
      </outline>
      <outline title="Only a title" type="rss" xmlUrl="https://title.example/rss"/>
    </outline>
    <outline text="Bad scheme" type="rss" xmlUrl="javascript:alert(1)"/>
    <outline text="No address" type="rss"/>
    <outline text="Empty folder"/>
    <outline text="Top" type="rss" xmlUrl="https://top.example/feed"/>
  </body>
</opml>
"""


def test_render_writes_opml_2_with_rss_outlines() -> None:
    """The export is OPML 2.0: a head, and one type="rss" outline with text/title/xmlUrl each."""
    root = ET.fromstring(render_opml(SOURCES, title="narcowatch sources", now=NOW))
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "narcowatch sources"
    assert root.findtext("head/dateCreated") == "Sun, 01 Mar 2026 12:00:00 GMT"
    outlines = root.findall("body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [s.url for s in SOURCES]
    assert {o.get("type") for o in outlines} == {"rss"}
    assert outlines[1].get("text") == outlines[1].get("title") == SOURCES[1].name
    assert outlines[1].get(f"{{{NAMESPACE}}}itemSelector") == "div.item"
    assert outlines[2].get(f"{{{NAMESPACE}}}sourceType") is None  # feeds need no extras


def test_render_then_parse_gives_the_same_sources() -> None:
    """Every field narcowatch needs survives a write and a read, escaping included."""
    text = render_opml(SOURCES, title="t", now=NOW)
    document = parse_opml(text.encode(), path="s.opml")
    assert document.problems == ()
    assert [(s.name, s.url, s.type, s.topics, s.selectors) for s in document.sources] == [
        (s.name, s.url, s.type, s.topics, s.selectors) for s in SOURCES
    ]
    assert [s.interval_s for s in document.sources] == [1800.0, 3600.0, None]


def test_parse_reads_nested_folders_and_reports_bad_outlines() -> None:
    """Feeds inside folders at any depth are read; bad outlines become file:line problems."""
    document = parse_opml(NESTED, path="reader.opml")
    assert [(s.name, s.url, s.line) for s in document.sources] == [
        ("Xinhua", "https://xinhua.example/rss", 7),
        ("Only a title", "https://title.example/rss", 9),
        ("Top", "https://top.example/feed", 14),
    ]
    assert [str(p) for p in document.problems] == [
        "reader.opml:11: 'javascript:alert(1)' is not an http(s) URL",
        "reader.opml:12: a feed outline without xmlUrl",
    ]


def test_parse_reports_bad_narcowatch_attributes() -> None:
    """An html source with half its selectors, or a bad interval, is reported, not guessed at;
    an html source without selectors is kept (its article list is detected)."""
    data = f"""<opml version="2.0" xmlns:nw="{NAMESPACE}"><body>
<outline text="a" xmlUrl="https://a.example" nw:sourceType="html" nw:linkSelector="a"/>
<outline text="b" xmlUrl="https://b.example" nw:interval="soon"/>
<outline text="c" xmlUrl="https://c.example" nw:sourceType="pdf"/>
<outline text="d" xmlUrl="https://d.example" nw:sourceType="html"/>
</body></opml>""".encode()
    document = parse_opml(data, path="x.opml")
    problems = [str(p) for p in document.problems]
    assert problems[0].startswith("x.opml:2: an html source with selectors needs")
    assert problems[1].startswith("x.opml:3: narcowatch:interval:")
    assert problems[2] == "x.opml:4: unknown narcowatch:sourceType 'pdf' (feed or html)"
    assert [(s.name, s.type, s.selectors) for s in document.sources] == [("d", "html", None)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"<opml version='2.0'>\n<body>\n<outline text='x'>\n</body></opml>",
            "x.opml:4: not well-formed",
        ),
        (b"", "x.opml:1: not well-formed"),
        (b"<rss version='2.0'><channel/></rss>", "x.opml:1: the root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "x.opml:1: no <body> element"),
        (b"<opml><body>&nbsp;</body></opml>", "x.opml:1: not well-formed XML: undefined entity"),
    ],
)
def test_malformed_files_raise_with_file_and_line(data: bytes, expected: str) -> None:
    """A file that is not OPML raises OpmlError whose message starts `file:line:`."""
    with pytest.raises(OpmlError) as caught:
        parse_opml(data, path="x.opml")
    assert str(caught.value).startswith(expected)


def test_entity_expansion_is_refused() -> None:
    """A DOCTYPE declaring entities (billion laughs) is refused before anything expands."""
    lol = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<opml version="2.0"><body><outline text="&c;" xmlUrl="https://a.example"/></body></opml>
"""
    with pytest.raises(OpmlError, match=r"^lol\.opml:2: a DOCTYPE is not allowed"):
        parse_opml(lol, path="lol.opml")


def test_external_dtd_is_refused() -> None:
    """An external DTD or entity reference is refused as well; nothing is fetched."""
    data = b'<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/x.dtd"><opml><body/></opml>'
    with pytest.raises(OpmlError, match="DOCTYPE is not allowed"):
        parse_opml(data, path="ext.opml")


def test_url_key_compares_addresses_loosely() -> None:
    """Scheme and host case, a bare trailing slash and the fragment do not make a new feed."""
    assert url_key("HTTPS://News.Example/") == url_key("https://news.example#top")
    assert url_key("https://news.example/a") != url_key("https://news.example/A")
    assert url_key("https://news.example/?q=1") != url_key("https://news.example/")


def test_plan_skips_known_and_repeated_sources() -> None:
    """Known names/URLs and repeats within the file are skipped with a reason; the rest added."""
    incoming = [
        OpmlSource("New", "https://new.example/rss", line=3),
        OpmlSource("Other name", "https://KNOWN.example/rss/", line=4),
        OpmlSource("wire", "https://wire2.example/rss", line=5),
        OpmlSource("New again", "https://new.example/rss", line=6),
        OpmlSource("NEW", "https://new2.example/rss", line=7),
    ]
    plan = plan_import(incoming, known_names=["Wire"], known_urls=["https://known.example/rss/"])
    assert [s.name for s in plan.add] == ["New"]
    assert [(s.line, reason) for s, reason in plan.skip] == [
        (4, "a source with this URL exists"),
        (5, "a source with this name exists"),
        (6, "the same URL is listed earlier in the file (line 3)"),
        (7, "the same name is listed earlier in the file (line 3)"),
    ]
