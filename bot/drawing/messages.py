"""A briefing as Telegram HTML: the picture's caption and the top-stories message, escaped."""

from __future__ import annotations

from bot.briefing.build import change_text
from bot.briefing.model import Briefing, Story
from bot.core.render import MAX_MESSAGE, esc, safe_link, shorten, tg_length

MAX_CAPTION = 1024
"""Telegram's limit on a photo caption, in UTF-16 code units."""
TOP_STORIES = 10
STORY_TITLE_CHARS = 160


def _span(briefing: Briefing) -> str:
    start, end = briefing.period.start, briefing.period.end
    return f"{start:%d %b} – {end:%d %b %Y}"


def caption(briefing: Briefing) -> str:
    """Totals and the change against the previous period, for the picture (<= 1024)."""
    lines = [
        f"<b>{briefing.total} matched items"
        + (f", {len(briefing.stories)} stories" if briefing.stories else "")
        + "</b>",
        f"{esc(_span(briefing))} ({briefing.days} days)",
        esc(change_text(briefing)),
    ]
    if briefing.topics:
        lines.append("Topics: " + esc(shorten(", ".join(briefing.topics), 300)))
    if briefing.places:
        lines.append("Places: " + esc(shorten(", ".join(briefing.places), 300)))
    if briefing.pairs:
        top = briefing.pairs[0]
        lines.append(f"Most often together: {esc(shorten(top.label, 80))} ({top.items})")
    text = "\n".join(lines)
    return text if tg_length(text) <= MAX_CAPTION else "\n".join(lines[:3])


def quiet_line(briefing: Briefing) -> str:
    """The one line a chat gets when its topics had nothing in the period."""
    word = "week" if briefing.days == 7 else ("day" if briefing.days == 1 else "period")
    where = f" in {esc(shorten(', '.join(briefing.places), 200))}" if briefing.places else ""
    return f"Quiet {word}: nothing matched your topics{where} ({esc(_span(briefing))})."


def _story_line(rank: int, story: Story) -> str:
    title = esc(shorten(story.title, STORY_TITLE_CHARS))
    link = safe_link(story.link)
    shown = f'<a href="{esc(link)}">{title}</a>' if link else title
    count = len(story.sources)
    sources = f"{count} source{'s' if count != 1 else ''}"
    return f"{rank}. {shown}\n   <i>{sources}</i> · {esc(shorten(story.why, 120))}"


def stories_message(briefing: Briefing, *, limit: int = MAX_MESSAGE) -> str:
    """The top stories (title as link, sources count, one-line why) within `limit`."""
    if briefing.total == 0:
        return quiet_line(briefing)
    head = f"<b>Top stories, {esc(_span(briefing))}</b>"
    text = head
    for rank, story in enumerate(briefing.stories[:TOP_STORIES], start=1):
        candidate = f"{text}\n\n{_story_line(rank, story)}"
        if tg_length(candidate) > limit:
            break
        text = candidate
    return text
