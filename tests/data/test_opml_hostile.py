"""OPML outlines with broken addresses are reported with their line and skipped."""

from __future__ import annotations

from bot.core.opml import parse_opml

DOCUMENT = b"""<?xml version="1.0"?>
<opml version="2.0"><body>
<outline text="Broken IPv6" type="rss" xmlUrl="http://[::1/feed"/>
<outline text="Port out of range" type="rss" xmlUrl="http://example.com:99999/feed"/>
<outline text="Good" type="rss" xmlUrl="https://good.example/feed"/>
</body></opml>
"""


def test_bad_ipv6_and_port_outlines_are_skipped_not_fatal() -> None:
    """The two bad outlines are Problems at lines 3 and 4; the good one is still read."""
    document = parse_opml(DOCUMENT, path="feeds.opml")
    assert [source.name for source in document.sources] == ["Good"]
    assert [(p.line, "not a valid URL" in p.message) for p in document.problems] == [
        (3, True),
        (4, True),
    ]
