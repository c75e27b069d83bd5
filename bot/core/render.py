"""Alert messages as Telegram HTML and plain text, escaped and within Telegram's length limit."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from bot.core.article import ARTICLE_MARK, used_article
from bot.core.models import MODEL_REASON, TopicScore

MAX_MESSAGE = 4096
"""Telegram's limit on a message's text, in UTF-16 code units."""

EXCERPT_CHARS = 400
TITLE_CHARS = 300
LIST_ITEMS = 12
ELLIPSIS = "…"
MAX_LINK = 2048


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button: its label and the callback data it sends back (<= 64 bytes)."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class AlertView:
    """What an alert shows: the item, where it came from, and why it matched."""

    alert_id: int
    match_id: int
    source_id: int
    title: str
    link: str | None
    sources: tuple[str, ...]
    published: datetime | None
    score: TopicScore
    excerpt: str = ""
    more: int = 0
    """How many more matches the same poll of this source brought (a burst, cut short)."""


@dataclass(frozen=True, slots=True)
class RenderedAlert:
    """An alert as HTML, the same as plain text (the fallback), and its buttons."""

    html: str
    plain: str
    buttons: tuple[tuple[Button, ...], ...]


def tg_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary where one is near, with `…`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def esc(text: str) -> str:
    """Feed text made safe inside Telegram HTML, attributes included."""
    return html.escape(text, quote=True)


def safe_link(link: str | None) -> str | None:
    """The link when it is an absolute http(s) URL of sane length (escaped, as it goes into an
    href: a link of `&` grows fivefold); else it is not made clickable."""
    if not link or len(link) > MAX_LINK or len(esc(link)) > MAX_LINK:
        return None
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return link.strip()


def format_when(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "date unknown"


SOURCE_CHARS = 80


def source_line(sources: Sequence[str], limit: int = LIST_ITEMS, chars: int = SOURCE_CHARS) -> str:
    """Where a story came from: "Mekong Times · also: Xinhua, TASS", naming the first source
    and at most `limit` others, each cut to `chars`."""
    if not sources:
        return "unknown source"
    first, others = shorten(sources[0], chars), [shorten(name, chars) for name in sources[1:]]
    if not others:
        return first
    shown = others[:limit]
    if len(others) > len(shown):
        shown.append(f"+{len(others) - len(shown)} more")
    return f"{first} · also: {', '.join(shown)}"


def model_line(score: TopicScore) -> str | None:
    """What the topic's text model added and the phrases behind it, as the alert shows it
    ("Text model +0.21 (“anti drug”, “jointly”)"), from the score's reasons."""
    for reason in score.reasons:
        if reason.startswith(MODEL_REASON):
            said = reason.split(": P(relevant)", 1)[0]
            return "Text model " + said[len(MODEL_REASON) :]
    return None


def _terms(score: TopicScore, limit: int) -> list[str]:
    shown = [f"{hit.term} ×{hit.count}" if hit.count > 1 else hit.term for hit in score.terms]
    return shown[:limit] + ([f"+{len(shown) - limit} more"] if len(shown) > limit else [])


def _entities(score: TopicScore, limit: int) -> list[str]:
    shown = [f"{hit.name} ({hit.type})" for hit in score.entities]
    return shown[:limit] + ([f"+{len(shown) - limit} more"] if len(shown) > limit else [])


@dataclass(frozen=True, slots=True)
class _Limits:
    title: int
    excerpt: int
    items: int
    link: bool = True


def _alert_lines(view: AlertView, limits: _Limits, *, markup: bool) -> list[str]:
    """The alert's lines; with `markup`, feed text escaped and wrapped in HTML tags."""
    wrap: Callable[[str], str] = esc if markup else str
    title = shorten(view.title or "(untitled)", limits.title)
    link = safe_link(view.link) if limits.link else None
    if markup:
        head = f'<a href="{esc(link)}">{esc(title)}</a>' if link else esc(title)
        lines = [f"<b>{head}</b>"]
    else:
        lines = [title] + ([link] if link else [])
    sources = source_line(view.sources, limits.items, min(SOURCE_CHARS, limits.title))
    lines.append(f"{wrap(sources)} · {format_when(view.published)}")
    topic = f"<code>{esc(view.score.topic)}</code>" if markup else view.score.topic
    lines.append(f"Topic {topic} · score {view.score.score:.2f}")
    if used_article(view.score):
        lines.append(ARTICLE_MARK)
    terms = _terms(view.score, limits.items)
    if terms:
        lines.append("Terms: " + wrap(", ".join(terms)))
    entities = _entities(view.score, limits.items)
    if entities:
        lines.append("Entities: " + wrap(", ".join(entities)))
    model = model_line(view.score)
    if model:
        lines.append(wrap(model))
    excerpt = shorten(view.excerpt, limits.excerpt) if limits.excerpt > 0 else ""
    if excerpt:
        lines.append("")
        lines.append(f"<i>{esc(excerpt)}</i>" if markup else excerpt)
    if view.more:
        lines.append("")
        lines.append(wrap(burst_line(view)))
    lines.append("")
    lines.append(f"#{view.alert_id} · /why {view.alert_id}")
    return lines


def burst_line(view: AlertView) -> str:
    """The summary a burst's last alert carries (plain text: escape it for HTML)."""
    source = shorten(view.sources[0], SOURCE_CHARS) if view.sources else "this source"
    return f"➕ and {view.more:,} more from {source} in the same poll: /recent"


def _fit(
    build: Callable[[_Limits], str], start: _Limits, limit: int, cut: Callable[[str, int], str]
) -> str:
    """The longest rendering within `limit`: shrink the excerpt first, then title and lists,
    then drop the link; `cut` is the last resort (only a giant topic id gets there).

    Text is cut before it is escaped, so a cut never lands inside a tag or an entity.
    """
    text = build(start)
    if tg_length(text) <= limit:
        return text
    low, high = 0, start.excerpt
    while low < high:  # the longest excerpt that fits
        mid = (low + high + 1) // 2
        if tg_length(build(_Limits(start.title, mid, start.items))) <= limit:
            low = mid
        else:
            high = mid - 1
    text = build(_Limits(start.title, low, start.items))
    if tg_length(text) <= limit:
        return text
    for title, items in ((TITLE_CHARS, LIST_ITEMS), (120, 5), (60, 2), (20, 0)):
        text = build(_Limits(min(title, start.title), 0, items))
        if tg_length(text) <= limit:
            return text
    text = build(_Limits(min(20, start.title), 0, 0, link=False))
    return cut(text, limit)


def cut_plain(text: str, limit: int) -> str:
    """`text` within `limit` UTF-16 units, ending in `…` when cut; a surrogate pair is whole."""
    if tg_length(text) <= limit:
        return text
    if limit < 1:
        return ""
    kept: list[str] = []
    used = 0
    for char in text:
        cost = tg_length(char)
        if used + cost > limit - 1:
            break
        kept.append(char)
        used += cost
    return "".join(kept) + ELLIPSIS


_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>|&#?\w+;|.", re.DOTALL)


def cut_html(text: str, limit: int) -> str:
    """Our rendered HTML within `limit` UTF-16 units: cut only between tags, entities and
    characters, with `…` and the closing tags of whatever was still open appended."""
    if tg_length(text) <= limit:
        return text
    kept: list[str] = []
    stack: list[str] = []
    used = 0
    for match in _HTML_TOKEN.finditer(text):
        token = match.group(0)
        after = list(stack)
        if match.group(2) and token.startswith("<"):
            if match.group(1):
                if after:
                    after.pop()
            else:
                after.append(match.group(2))
        closing = sum(len(name) + 3 for name in after)
        cost = tg_length(token)
        if used + cost + tg_length(ELLIPSIS) + closing > limit:
            break
        kept.append(token)
        used += cost
        stack = after
    return "".join(kept) + ELLIPSIS + "".join(f"</{name}>" for name in reversed(stack))


def alert_buttons(view: AlertView) -> tuple[tuple[Button, ...], ...]:
    """Relevant / not relevant (feedback on the match) and mute this alert's source."""
    return (
        (
            Button("👍 Relevant", f"fb:r:{view.match_id}"),
            Button("👎 Not relevant", f"fb:n:{view.match_id}"),
        ),
        (Button("🔇 Mute this source", f"ms:{view.source_id}"),),
    )


def render_alert(view: AlertView, *, limit: int = MAX_MESSAGE) -> RenderedAlert:
    """The alert as Telegram HTML and as plain text, each at most `limit` characters."""
    start = _Limits(title=2000, excerpt=EXCERPT_CHARS, items=LIST_ITEMS)
    html_text = _fit(
        lambda lim: "\n".join(_alert_lines(view, lim, markup=True)), start, limit, cut_html
    )
    plain = _fit(
        lambda lim: "\n".join(_alert_lines(view, lim, markup=False)), start, limit, cut_plain
    )
    return RenderedAlert(html=html_text, plain=plain, buttons=alert_buttons(view))


def render_why(view: AlertView, *, limit: int = MAX_MESSAGE) -> str:
    """The full explanation of a match (HTML): score, every reason, term and entity."""
    link = safe_link(view.link)
    title = esc(shorten(view.title or "(untitled)", TITLE_CHARS))
    head = f'<a href="{esc(link)}">{title}</a>' if link else title
    lines = [
        f"<b>Why alert #{view.alert_id} matched</b>",
        head,
        f"Topic <code>{esc(view.score.topic)}</code> · score {view.score.score:.3f}",
        "",
    ]
    if view.score.reasons:
        lines.append("<b>Reasons</b>")
        lines.extend(f"• {esc(reason)}" for reason in view.score.reasons)
    if view.score.terms:
        lines.append("<b>Terms</b>")
        lines.extend(
            f"• {esc(hit.term)} — group {esc(hit.group)}, {hit.count}×" for hit in view.score.terms
        )
    if view.score.entities:
        lines.append("<b>Entities</b>")
        lines.extend(f"• {esc(hit.name)} ({esc(hit.type)})" for hit in view.score.entities)
    return join_within(lines, limit)


def join_within(lines: Sequence[str], limit: int) -> str:
    """Lines joined by newlines, dropping whole lines from the end (never cutting one)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = tg_length(line) + (1 if kept else 0)
        if used + cost > limit - 2:
            kept.append(ELLIPSIS)
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)


def digest_item(view: AlertView) -> str:
    """One alert as a digest entry (HTML): linked title, source, topic and score."""
    link = safe_link(view.link)
    title = esc(shorten(view.title or "(untitled)", 200))
    head = f'<a href="{esc(link)}">{title}</a>' if link else title
    sources = esc(shorten(source_line(view.sources), 120))
    topic = esc(view.score.topic)
    entry = f"• {head}\n  {sources} · {topic} {view.score.score:.2f} · /why {view.alert_id}"
    return entry + (f"\n  {esc(burst_line(view))}" if view.more else "")


@dataclass(frozen=True, slots=True)
class DigestPart:
    """One message of a digest and how many alerts (in order) it holds."""

    html: str
    count: int


def render_digest(
    views: Sequence[AlertView], *, heading: str, limit: int = MAX_MESSAGE
) -> list[DigestPart]:
    """A digest as one or more HTML messages, split between items (an item is never cut)."""
    parts: list[DigestPart] = []
    current, count = f"<b>{esc(heading)}</b> ({len(views)} alerts)", 0
    for view in views:
        entry = digest_item(view)
        if count and tg_length(current) + 2 + tg_length(entry) > limit:
            parts.append(DigestPart(current, count))
            current, count = f"<b>{esc(heading)}</b> (continued)", 0
        current, count = f"{current}\n\n{entry}", count + 1
    parts.append(DigestPart(current, count))
    # One entry alone is bounded by its parts' caps; the cut is there should they ever add up.
    return [DigestPart(cut_html(part.html, limit), part.count) for part in parts]


def html_to_plain(text: str) -> str:
    """Our own rendered HTML as plain text: tags dropped, entities decoded (fallback sends)."""
    out: list[str] = []
    inside = False
    for char in text:
        if char == "<":
            inside = True
        elif char == ">" and inside:
            inside = False
        elif not inside:
            out.append(char)
    return html.unescape("".join(out))
