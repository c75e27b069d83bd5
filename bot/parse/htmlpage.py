"""Items of an HTML page (`type: html` sources), with bs4: by CSS selectors, or detected."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import datetime

from bs4 import BeautifulSoup, Tag
from bs4.exceptions import FeatureNotFound
from soupsieve import SelectorSyntaxError

from bot.core.models import HtmlSelectors, Item, ParsedFeed
from bot.core.text import fold_space, html_to_text
from bot.errors import ParseError
from bot.parse.articles import MIN_ARTICLES, ArticleList, detect_articles
from bot.parse.dates import parse_date
from bot.parse.fields import absolute_link, capped_items, language, title_or_excerpt


def parse_html_page(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    selectors: HtmlSelectors | None,
    max_items: int | None = None,
) -> ParsedFeed:
    """One item per element matching `selectors.item`, or without selectors the articles of
    the list detected on the page, the newest `max_items` of them; ParseError when there are
    none."""
    soup = _soup(body, content_type)
    base = _base(soup, url)
    if selectors is None:
        return _detected(soup, url=url, base=base or url, max_items=max_items)
    blocks = _select(soup, selectors.item)
    if not blocks:
        raise ParseError(f"no items on the page match the selector {selectors.item!r}")
    page_lang = _page_language(soup)
    items, beyond_cap = capped_items(
        (_item(block, selectors, base=base or url, lang=page_lang) for block in blocks),
        max_items,
    )
    return ParsedFeed(items=items, title=_page_title(soup), beyond_cap=beyond_cap)


def detection_of(body: bytes, *, url: str, content_type: str | None) -> ArticleList | None:
    """What article-list detection finds on a page and where (for `sources test`)."""
    soup = _soup(body, content_type)
    return detect_articles(soup, url=url, base=_base(soup, url) or url)


def _base(soup: BeautifulSoup, url: str) -> str | None:
    base_tag = soup.find("base", href=True)
    return absolute_link(str(base_tag["href"]), url) if isinstance(base_tag, Tag) else None


def _detected(
    soup: BeautifulSoup, *, url: str, base: str, max_items: int | None = None
) -> ParsedFeed:
    found = detect_articles(soup, url=url, base=base)
    if found is None:
        raise ParseError(
            "no article list found on the page: no group of "
            f"{MIN_ARTICLES} or more links with headline-length text to article pages; "
            "set `selectors` for this source"
        )
    lang = _page_language(soup)
    items, beyond_cap = capped_items((replace(item, lang=lang) for item in found.items), max_items)
    return ParsedFeed(items=items, title=_page_title(soup), beyond_cap=beyond_cap)


def _page_language(soup: BeautifulSoup) -> str | None:
    html_tag = soup.find("html")
    return language(str(html_tag.get("lang") or "")) if isinstance(html_tag, Tag) else None


def _page_title(soup: BeautifulSoup) -> str | None:
    title_tag = soup.find("title")
    return (fold_space(title_tag.get_text()) or None) if isinstance(title_tag, Tag) else None


def _soup(body: bytes, content_type: str | None) -> BeautifulSoup:
    charset = None
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # bs4's hints about unusual markup
        try:
            return BeautifulSoup(body, "html.parser", from_encoding=charset)
        except (FeatureNotFound, LookupError):
            return BeautifulSoup(body, "html.parser")


def _select(root: Tag, selector: str) -> list[Tag]:
    try:
        return list(root.select(selector))
    except (SelectorSyntaxError, ValueError) as exc:
        raise ParseError(f"bad CSS selector {selector!r}: {str(exc).splitlines()[0]}") from exc


def _select_one(root: Tag, selector: str | None) -> Tag | None:
    if not selector:
        return None
    found = _select(root, selector)
    return found[0] if found else None


def _item(block: Tag, selectors: HtmlSelectors, *, base: str, lang: str | None) -> Item | None:
    title_tag = _select_one(block, selectors.title)
    raw_title = fold_space(title_tag.get_text()) if title_tag else ""
    link = absolute_link(_href(block, title_tag, selectors.link), base)
    if not raw_title and not link:
        return None
    summary_tag = _select_one(block, selectors.summary)
    summary = html_to_text(summary_tag.decode_contents()) if summary_tag else ""
    return Item(
        title=title_or_excerpt(raw_title, summary),
        link=link,
        summary=summary,
        published=_date(block, selectors.date),
        lang=lang,
    )


def _href(block: Tag, title_tag: Tag | None, link_selector: str | None) -> str | None:
    # Without a link selector the usual shapes are a linked title or a linked block.
    candidates = [_select_one(block, link_selector)] if link_selector else [title_tag, block]
    for tag in candidates:
        if tag is None:
            continue
        anchor = tag if tag.has_attr("href") else tag.find(href=True)
        if isinstance(anchor, Tag):
            return str(anchor["href"])
    return None


def _date(block: Tag, date_selector: str | None) -> datetime | None:
    tag = _select_one(block, date_selector) if date_selector else block.find("time")
    if tag is None:
        return None
    timed = tag if tag.has_attr("datetime") else tag.find(datetime=True)
    if isinstance(timed, Tag):
        found = parse_date(str(timed["datetime"]))
        if found is not None:
            return found
    return parse_date(fold_space(tag.get_text()))
