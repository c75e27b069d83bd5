"""A page's list of articles found without selectors (`type: html` sources without them).

Links are grouped by where they sit in the page (their tag-and-class path), and each group is
scored: how many distinct links it has whose text reads like a headline and whose URL looks
like an article on the same site (a date, a numeric id or a slug in the path), inside a
heading or not, outside navigation, menus, footers and sidebars. The best group is the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from bs4.element import NavigableString, Tag

from bot.core.models import Item
from bot.core.text import fold_space
from bot.parse.dates import parse_date
from bot.parse.fields import absolute_link
from bot.parse.linkshape import (
    MIN_LISTED_WIDTH,
    article_likeness,
    dominant_section,
    is_dateline,
    is_headline,
    section_of,
    section_share,
    site_of,
    text_date,
    text_width,
    url_date,
)

MIN_ARTICLES = 3
"""Fewer article-like links than this is no list: a page that has none is a failure."""

_PATH_DEPTH = 5
_SUMMARY_MAX = 600
_SKIPPED_TAGS = frozenset({"nav", "header", "footer", "form", "script", "style", "noscript"})
_CHROME = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|footer|header|breadcrumbs?|crumbs?|pagination|pager|share|"
    r"social|login|toolbar|dropdown|masthead)([-_\s]|$)",
    re.I,
)
_ASIDE = re.compile(
    r"(^|[-_\s])(sidebar|aside|sb|popular|most|hot|rank|ranking|trending|related|widget|"
    r"hit|recommend)([-_\s]|$)",
    re.I,
)
_UNSTABLE_CLASS = re.compile(r"\d|^(odd|even|first|last|active|current|selected|on|hover)$")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = _HEADINGS | {"p", "div", "br", "li", "tr", "td", "blockquote", "section", "article"}
_BOX_PARTS = 2000
"""Text pieces read from one article's box at most: a summary needs the first few."""
_LEAD_STORIES = 2
MAX_ITEMS = 300
"""Articles taken from one page at most (the first ones): a list longer than that is an
archive, and each item costs a walk of its box."""


@dataclass(slots=True)
class _Link:
    url: str
    title: str
    anchor: Tag
    quality: float
    position: int
    aside: bool


@dataclass(slots=True)
class _Group:
    signature: str
    links: dict[str, _Link] = field(default_factory=dict)
    in_heading: bool = False
    aside: bool = False

    def good_links(self) -> int:
        return sum(1 for link in self.links.values() if link.quality > 0)

    def score(self) -> float:
        good = [link.quality for link in self.links.values() if link.quality > 0]
        if len(good) < MIN_ARTICLES:
            return 0.0
        total = sum(good) * (1.5 if self.in_heading else 1.0)
        # A page's own list stays in one section of the site; "top stories" boxes mix them.
        total *= 0.5 + 0.5 * section_share(
            [url for url, link in self.links.items() if link.quality]
        )
        return total * (0.25 if self.aside else 1.0)


@dataclass(frozen=True, slots=True)
class ArticleList:
    """What detection found: the items, and how (for `sources test` and error messages)."""

    items: tuple[Item, ...]
    signature: str
    candidates: int


def detect_articles(root: Tag, *, url: str, base: str) -> ArticleList | None:
    """The page's article list, or None when no group of links looks like one.

    `url` is where the page was fetched, `base` resolves its relative links.
    """
    groups = _groups(root, base=base, sites=page_sites(root, url=url, base=base))
    scored = [(group.score(), group) for group in groups.values()]
    scored = [(score, group) for score, group in scored if score > 0]
    if not scored:
        return None
    _, best = max(scored, key=lambda pair: pair[0])
    listed = _with_lead_stories(best, groups.values())[:MAX_ITEMS]
    holding = _links_held(link.anchor for link in listed)
    items = tuple(_item(link, holding) for link in listed)
    return ArticleList(items=items, signature=best.signature, candidates=len(scored))


def page_sites(root: Tag, *, url: str, base: str) -> frozenset[str]:
    """The sites a page belongs to, for telling its own articles from links elsewhere (which
    count half): its address and base, its canonical URL, and the site most of its absolute
    links go to (a page fetched from a mirror, a proxy or a test server is still its site's)."""
    urls = [url, base]
    canonical = root.find("link", rel="canonical", href=True)
    if isinstance(canonical, Tag):
        urls.append(str(canonical["href"]))
    og_url = root.find("meta", property="og:url", content=True)
    if isinstance(og_url, Tag):
        urls.append(str(og_url["content"]))
    counts: dict[str, int] = {}
    for anchor in root.find_all("a", href=True):
        href = str(anchor["href"]).strip() if isinstance(anchor, Tag) else ""
        if href.startswith(("http://", "https://", "//")):
            site = site_of(href if not href.startswith("//") else "http:" + href)
            counts[site] = counts.get(site, 0) + 1
    if counts:
        urls.append("http://" + max(counts, key=lambda site: counts[site]))
    return frozenset(site for site in (site_of(u) for u in urls if u) if site)


def _groups(root: Tag, *, base: str, sites: frozenset[str]) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    position = 0
    for anchor in _anchors(root):
        url = absolute_link(str(anchor.get("href") or ""), base)
        if url is None:
            continue
        url = url.split("#", 1)[0]
        text = anchor.get_text(" ").replace("\ufeff", "")  # stray BOMs from CMS copy-paste
        title = fold_space(text) or fold_space(str(anchor.get("title") or ""))
        signature, in_heading, aside = _place(anchor)
        position += 1
        group = groups.setdefault(signature, _Group(signature))
        group.in_heading = group.in_heading or in_heading
        group.aside = group.aside or aside
        quality = _quality(url, title, sites)
        known = group.links.get(url)
        if known is None or quality > known.quality:
            group.links[url] = _Link(url, title, anchor, quality, position, aside)
    return groups


def _anchors(root: Tag) -> Iterator[Tag]:
    for anchor in root.find_all("a", href=True):
        if not isinstance(anchor, Tag):
            continue
        if any(_is_chrome(parent) for parent in anchor.parents if isinstance(parent, Tag)):
            continue
        yield anchor


def _is_chrome(tag: Tag) -> bool:
    if tag.name in _SKIPPED_TAGS:
        return True
    return bool(_CHROME.search(_names(tag))) or tag.get("role") in ("navigation", "banner")


def _names(tag: Tag) -> str:
    classes = tag.get("class")
    words: list[str] = [str(c) for c in classes] if isinstance(classes, list) else []
    ident = tag.get("id")
    if ident:
        words.append(str(ident))
    return " ".join(words)


def _place(anchor: Tag) -> tuple[str, bool, bool]:
    """The anchor's tag-and-class path (a few levels up), whether it sits in a heading, and
    whether it sits in a sidebar-like box."""
    steps: list[str] = []
    in_heading = False
    node: Tag | None = anchor
    depth = 0
    while node is not None and node.name not in ("body", "html", "[document]"):
        if depth < _PATH_DEPTH:
            classes = sorted(c for c in (node.get("class") or []) if not _UNSTABLE_CLASS.search(c))
            steps.append(".".join([node.name, *classes]))
            if depth <= 2 and node.name in _HEADINGS:
                in_heading = True
        depth += 1
        node = node.parent if isinstance(node.parent, Tag) else None
    aside = any(
        parent.name == "aside" or _ASIDE.search(_names(parent))
        for parent in anchor.parents
        if isinstance(parent, Tag)
    )
    return " < ".join(steps), in_heading, aside


def _quality(url: str, title: str, sites: frozenset[str]) -> float:
    if not is_headline(title):
        return 0.0
    shape = article_likeness(url)
    if shape <= 0:
        return 0.0
    same_site = site_of(url) in sites
    return (0.5 + 0.5 * shape) * (1.0 if same_site else 0.5)


def _with_lead_stories(best: _Group, groups: Iterable[_Group]) -> list[_Link]:
    """The list with the other article links inside its box, in page order: the lead story
    styled apart (an <h1> above the <h4>s), or a headline a little short for a menu-free
    guess. They must lead to the list's own section of the site, sit in no listed article's
    box and belong to no other list (a "news" widget inside the list is not the list)."""
    listed = [link for link in best.links.values() if link.quality > 0]
    held = _links_held(link.anchor for link in listed)
    box = _box_of(listed, held)
    if box is None:
        return listed
    section = dominant_section([link.url for link in listed])
    known = {link.url for link in listed}
    extra: dict[str, _Link] = {}
    groups = list(groups)
    other_lists = {
        url
        for group in groups
        if group is not best and not group.aside and group.good_links() >= MIN_ARTICLES
        for url in group.links
    }
    for group in groups:
        for link in group.links.values():
            if link.url in known or link.url in other_lists:
                continue
            if link.aside or section_of(link.url) != section:
                continue
            if not is_headline(link.title, min_width=MIN_LISTED_WIDTH):
                continue
            if article_likeness(link.url) <= 0 or not _beside_items(link.anchor, box, held):
                continue
            if link.url not in extra or link.position < extra[link.url].position:
                extra[link.url] = link
    if len(extra) > max(_LEAD_STORIES, len(listed) // 4):
        return listed  # not a lead story or two: another list the page has
    return sorted([*listed, *extra.values()], key=lambda link: link.position)


def _box_of(listed: list[_Link], held: dict[int, int]) -> Tag | None:
    """The nearest element holding every link of the list."""
    if not listed:
        return None
    for parent in listed[0].anchor.parents:
        if held.get(id(parent), 0) == len(listed):
            return parent
    return None


def _beside_items(anchor: Tag, box: Tag, held: dict[int, int]) -> bool:
    """Whether the anchor is in the list's box but in no listed article's own box (a link
    inside an article's text or byline is not another article of the list)."""
    for parent in anchor.parents:
        if parent is box:
            return True
        if held.get(id(parent), 0) == 1:
            return False  # another article's box; one holding several is a part of the list
    return False


def _links_held(anchors: Iterator[Tag]) -> dict[int, int]:
    """How many of the list's links each element holds, by element id: one walk up from each
    link (a page of thousands of links stays linear)."""
    held: dict[int, int] = {}
    for anchor in anchors:
        for parent in anchor.parents:
            held[id(parent)] = held.get(id(parent), 0) + 1
    return held


def _item(link: _Link, holding: dict[int, int]) -> Item:
    unit = _unit(link.anchor, holding)
    text = _box_text(unit) if unit is not None else ""
    return Item(
        title=link.title,
        link=link.url,
        summary=_summary(text, link.title),
        published=_published(unit, link.url),
    )


def _box_text(box: Tag) -> str:
    """The box's text with block elements on lines of their own (a walk of the parsed tree:
    parsing each box's markup again would cost more than the page itself)."""
    parts: list[str] = []
    for node in box.descendants:
        if isinstance(node, Tag):
            if node.name in _BLOCKS:
                parts.append("\n")
        elif isinstance(node, NavigableString) and type(node) is NavigableString:
            parts.append(str(node))
        if len(parts) > _BOX_PARTS:
            break
    return fold_space("".join(parts))


def _unit(anchor: Tag, holding: dict[int, int]) -> Tag | None:
    """The largest element around the anchor that holds no other link of the list: the
    article's box, where its date and summary are."""
    unit: Tag | None = None
    node = anchor.parent if isinstance(anchor.parent, Tag) else None
    while node is not None and node.name not in ("body", "html", "[document]"):
        if holding.get(id(node), 0) > 1:
            break
        unit = node
        node = node.parent if isinstance(node.parent, Tag) else None
    return unit


def _summary(text: str, title: str) -> str:
    lines = [line for line in text.split("\n") if line and line != title]
    # The longest line of the article's box other than its title: its standfirst, if any.
    summary = max(lines, key=len, default="")
    if text_width(summary) < 40 or is_dateline(summary):
        return ""
    if len(summary) > _SUMMARY_MAX:
        return summary[: _SUMMARY_MAX - 1].rstrip() + "…"
    return summary


def _published(unit: Tag | None, url: str) -> datetime | None:
    if unit is not None:
        timed = unit.find("time")
        if isinstance(timed, Tag):
            found = parse_date(str(timed.get("datetime") or "")) or text_date(timed.get_text(" "))
            if found is not None:
                return found
        found = text_date(unit.get_text(" "))
        if found is not None:
            return found
    return url_date(url)
