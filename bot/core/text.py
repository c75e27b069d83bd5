"""Plain text out of feed HTML: tags dropped, entities decoded, white space folded."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote")


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment (or plain text), with block elements on their own lines."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return fold_space(markup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for dropped in soup(["script", "style", "noscript", "template"]):
        dropped.decompose()
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_before("\n")
        block.insert_after("\n")
    return fold_space(soup.get_text())


def fold_space(text: str) -> str:
    """Runs of spaces to one; at most one blank line; no leading or trailing white space."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
