"""The main text of a news article page (trafilatura), for scoring items whose feed is short."""

from __future__ import annotations

import logging

import trafilatura

from bot.parse.sniff import looks_like_html

MAX_ARTICLE_CHARS = 20_000
"""More than a long news story; the rest of a huge page adds cost, not evidence."""
MAX_ARTICLE_TAGS = 50_000
"""Markup read from one page: a heavy news page has a fraction of this many tags. The tree
trafilatura builds costs about 1.5 KB per element, and its time grows with the square of the
paragraph count: 4.5 MB of one-line paragraphs took minutes and 600 MB (issue 17); the page's
first 50,000 tags take about 1.5 s and 55 MB."""


def bounded_markup(body: bytes, max_tags: int = MAX_ARTICLE_TAGS) -> bytes:
    """The page cut before its `max_tags`-th `<` (the whole page when it has fewer). The HTML
    parser closes what the cut leaves open."""
    if body.count(b"<") < max_tags:
        return body
    position = -1
    for _ in range(max_tags):
        position = body.find(b"<", position + 1)
    return body[:position]


def extract_article(body: bytes, *, url: str, content_type: str | None) -> str:
    """The article's text, paragraphs on their own lines; empty when the page has none.

    CPU-heavy on large pages (bounded by `MAX_ARTICLE_TAGS`): call it off the event loop.
    """
    if not body or not looks_like_html(body, content_type):
        return ""
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it warns about every odd page
    text = trafilatura.extract(
        bounded_markup(body),
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
        with_metadata=False,
    )
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:MAX_ARTICLE_CHARS]


_WARM_UP_PAGE = b"<html><body><article><p>A page read once at start.</p></article></body></html>"


def warm_up() -> None:
    """Load what the first extraction loads (trafilatura's fallback reads every language's
    stop words, half a second): a worker's set-up, not its first page's cost."""
    extract_article(_WARM_UP_PAGE, url="http://localhost/", content_type="text/html")
