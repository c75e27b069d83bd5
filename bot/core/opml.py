"""OPML 2.0 subscription lists <-> sources, parsed safely (no DTDs, no entities).

Parsing uses the standard library's expat directly, not ElementTree's parser: a document
type declaration is refused as soon as it starts, so neither internal entity expansion
("billion laughs") nor external entities or DTDs can be used, and defusedxml is not needed.
OPML never needs a DTD. Writing uses xml.etree, which escapes every attribute value.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import NoReturn
from urllib.parse import urlsplit
from xml.parsers import expat

from bot.core.models import HtmlSelectors
from bot.core.text import fold_space
from bot.core.weburl import web_url_problem
from bot.errors import InputError, Problem
from bot.settings.units import format_duration, parse_duration

# Our own attributes live in this namespace, so other readers ignore them.
NAMESPACE = "https://github.com/narcowatch/narcowatch/opml"
PREFIX = "narcowatch"
MAX_NAME = 200  # the source table's limit
# Selector fields of HtmlSelectors <-> attribute names (`itemSelector`, ...).
_SELECTOR_FIELDS = ("item", "title", "link", "summary", "date")


class OpmlError(InputError):
    """The file is not OPML we can read: bad XML, a DTD, no <opml>/<body> (exit 2)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True, slots=True)
class OpmlSource:
    """One feed of an OPML list; `line` locates it in the file it was read from."""

    name: str
    url: str
    type: str = "feed"
    interval_s: float | None = None
    topics: tuple[str, ...] | None = None
    selectors: HtmlSelectors | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    """What a file held: the usable sources, and a problem for each outline that was not."""

    sources: tuple[OpmlSource, ...]
    problems: tuple[Problem, ...]


# --- writing -------------------------------------------------------------------------------


def _interval_text(seconds: float) -> str:
    whole = round(seconds)
    return format_duration(seconds) if whole >= 1 and whole == seconds else f"{seconds!r}"


def _outline(parent: ET.Element, source: OpmlSource) -> None:
    attrs = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.url}
    ours: dict[str, str] = {}
    if source.type != "feed":
        ours["sourceType"] = source.type
    if source.interval_s is not None:
        ours["interval"] = _interval_text(source.interval_s)
    if source.topics is not None:
        ours["topics"] = ",".join(source.topics)
    if source.selectors is not None:
        for field in _SELECTOR_FIELDS:
            value = getattr(source.selectors, field)
            if value is not None:
                ours[f"{field}Selector"] = value
    attrs |= {f"{PREFIX}:{key}": value for key, value in ours.items()}
    ET.SubElement(parent, "outline", attrs)


def render_opml(sources: Iterable[OpmlSource], *, title: str, now: datetime) -> str:
    """An OPML 2.0 document listing `sources` as `type="rss"` outlines, UTF-8 declared."""
    # The prefix is declared by hand rather than with ET.register_namespace, which would
    # change a process-wide table.
    root = ET.Element("opml", {"version": "2.0", f"xmlns:{PREFIX}": NAMESPACE})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = ET.SubElement(root, "body")
    for source in sources:
        _outline(body, source)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# --- reading -------------------------------------------------------------------------------


def _local(name: str) -> str:
    """An element name without its namespace (expat gives `uri}local`)."""
    return name.rpartition("}")[2]


def check_feed_url(value: str) -> str | None:
    """Why `value` is no usable feed address (http or https with a host), or None."""
    return web_url_problem(value)


class _Reader:
    """Walks expat events, collecting feed outlines from <body> at any nesting depth."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.ExternalEntityRefHandler = self._external
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.stack: list[str] = []
        self.seen_body = False
        self.sources: list[OpmlSource] = []
        self.problems: list[Problem] = []

    def fail(self, message: str, line: int | None = None) -> NoReturn:
        raise OpmlError(Problem(self.path, line or self.parser.CurrentLineNumber, message))

    def _doctype(self, *_args: object) -> None:
        self.fail("a DOCTYPE is not allowed in OPML (refused: DTDs and entities)")

    def _entity(self, *_args: object) -> None:
        self.fail("entity declarations are not allowed in OPML")

    def _external(self, *_args: object) -> int:
        self.fail("external entities are not allowed in OPML")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if not self.stack and local != "opml":
            self.fail(f"the root element is <{local}>, not <opml>")
        parent = self.stack[-1] if self.stack else None
        self.stack.append(local)
        if local == "body" and parent == "opml":
            self.seen_body = True
        elif local == "outline" and parent in ("body", "outline") and "body" in self.stack:
            self._outline(attrs)

    def _end(self, _name: str) -> None:
        self.stack.pop()

    def _outline(self, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        plain = {key.lower(): value for key, value in attrs.items() if "}" not in key}
        ours = {
            key.rpartition("}")[2]: value
            for key, value in attrs.items()
            if key.startswith(NAMESPACE + "}")
        }
        url = plain.get("xmlurl", "").strip()
        if not url:
            if plain.get("type", "").lower() in ("rss", "atom"):
                self.problems.append(Problem(self.path, line, "a feed outline without xmlUrl"))
            return  # a folder (category) outline: its children are read as they come
        result = source_of(url, plain, ours, line)
        if isinstance(result, str):
            self.problems.append(Problem(self.path, line, result))
        else:
            self.sources.append(result)

    def read(self, data: bytes) -> OpmlDocument:
        try:
            self.parser.Parse(data, True)
        except expat.ExpatError as exc:
            self.fail(f"not well-formed XML: {expat.ErrorString(exc.code)}", exc.lineno)
        if not self.seen_body:
            self.fail("no <body> element in <opml>", 1)
        return OpmlDocument(sources=tuple(self.sources), problems=tuple(self.problems))


def source_of(
    url: str, plain: dict[str, str], ours: dict[str, str], line: int | None
) -> OpmlSource | str:
    """The source an outline describes, or why it cannot be one."""
    bad_url = check_feed_url(url)
    if bad_url:
        return bad_url
    name = fold_space(plain.get("text") or plain.get("title") or url)
    if len(name) > MAX_NAME:
        return f"name longer than {MAX_NAME} characters: {name[:40]!r}..."
    kind = ours.get("sourceType", "feed")
    if kind not in ("feed", "html"):
        return f"unknown {PREFIX}:sourceType {kind!r} (feed or html)"
    interval: float | None = None
    if "interval" in ours:
        try:
            interval = parse_duration(ours["interval"])
        except ValueError as exc:
            return f"{PREFIX}:interval: {exc}"
    topics = None
    if "topics" in ours:
        topics = tuple(t.strip() for t in ours["topics"].split(",") if t.strip())
    selectors = None
    found = {f: ours[f"{f}Selector"] for f in _SELECTOR_FIELDS if ours.get(f"{f}Selector")}
    if kind == "html" and found:  # without selectors the page's article list is detected
        if "item" not in found or "title" not in found:
            return (
                f"an html source with selectors needs {PREFIX}:itemSelector and "
                f"{PREFIX}:titleSelector"
            )
        selectors = HtmlSelectors(**found)
    return OpmlSource(name, url, kind, interval, topics, selectors, line)


def parse_opml(data: bytes, *, path: str) -> OpmlDocument:
    """The feeds of an OPML file (nested folders included), and a Problem per bad outline.

    Raises OpmlError (`path:line: message`) for a file that is not OPML or not well-formed,
    or that carries a DOCTYPE.
    """
    return _Reader(path).read(data)


# --- deciding what to add ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """Which sources of a file to add, and which to skip with the reason why."""

    add: tuple[OpmlSource, ...]
    skip: tuple[tuple[OpmlSource, str], ...]


def url_key(url: str) -> str:
    """A feed address compared loosely: scheme and host case-insensitive, no fragment, and
    a bare trailing slash ignored (`https://A.example/` is `https://a.example`)."""
    parts = urlsplit(url.strip())
    path = "" if parts.path == "/" else parts.path
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def plan_import(
    sources: Iterable[OpmlSource], *, known_names: Iterable[str], known_urls: Iterable[str]
) -> ImportPlan:
    """Sources to add: those whose name and address are not known yet, nor earlier in the file."""
    names = {name.casefold(): "a source with this name exists" for name in known_names}
    urls = {url_key(url): "a source with this URL exists" for url in known_urls}
    add: list[OpmlSource] = []
    skip: list[tuple[OpmlSource, str]] = []
    for source in sources:
        reason = urls.get(url_key(source.url)) or names.get(source.name.casefold())
        if reason is not None:
            skip.append((source, reason))
            continue
        add.append(source)
        where = f" (line {source.line})" if source.line is not None else ""
        urls[url_key(source.url)] = f"the same URL is listed earlier in the file{where}"
        names[source.name.casefold()] = f"the same name is listed earlier in the file{where}"
    return ImportPlan(add=tuple(add), skip=tuple(skip))
