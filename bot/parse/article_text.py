"""The main text of a news article page (trafilatura), for scoring items whose feed is short."""

from __future__ import annotations

import logging

import trafilatura

from bot.parse.sniff import looks_like_html

MAX_ARTICLE_CHARS = 20_000
"""More than a long news story; the rest of a huge page adds cost, not evidence."""


def extract_article(body: bytes, *, url: str, content_type: str | None) -> str:
    """The article's text, paragraphs on their own lines; empty when the page has none.

    CPU-heavy on large pages: call it off the event loop.
    """
    if not body or not looks_like_html(body, content_type):
        return ""
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it warns about every odd page
    text = trafilatura.extract(
        body,
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
