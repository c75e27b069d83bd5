"""A strict look at an HTML page: balanced tags, no duplicate ids, nothing it would fetch."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# SVG elements may close themselves (<path ... />).
FETCHING_ATTRS = {"src", "srcset", "poster", "data", "action", "formaction", "background"}


class StrictPage(HTMLParser):
    """Collects problems: unbalanced tags, duplicate ids, external resources, scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.tags: dict[str, int] = {}
        self.in_style = False
        self.text: list[str] = []

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            value = value or ""
            if name == "id":
                if value in self.ids:
                    self.problems.append(f"duplicate id {value!r}")
                self.ids.add(value)
            if name in FETCHING_ATTRS and value:
                self.problems.append(f"<{tag} {name}> loads {value[:60]!r}")
            if name in ("href", "xlink:href"):
                if tag == "a":
                    self.links.append(value)
                elif not value.startswith("#"):
                    self.problems.append(f"<{tag} {name}> loads {value[:60]!r}")
            if name == "style" and "url(" in value and "url(#" not in value:
                self.problems.append(f"<{tag} style> loads a url()")
        if tag in ("script", "iframe", "object", "base"):
            self.problems.append(f"<{tag}> has no place in a report")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        self.in_style = tag == "style"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.in_style:
            for url in re.findall(r"url\(([^)]*)\)", data):
                if not url.strip("'\" ").startswith("#"):
                    self.problems.append(f"CSS loads url({url})")
            if "@import" in data:
                self.problems.append("CSS @import")
        else:
            self.text.append(data)


def check_page(html: str) -> StrictPage:
    """Parse `html`; the parser's `problems` list what is wrong (empty when nothing)."""
    page = StrictPage()
    page.feed(html)
    page.close()
    if not html.lstrip().lower().startswith("<!doctype html>"):
        page.problems.append("no <!DOCTYPE html>")
    if page.stack:
        page.problems.append(f"unclosed {page.stack}")
    return page
