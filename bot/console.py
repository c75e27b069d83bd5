"""Console alerts: one line per match when no Telegram token is set."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.models import PollOutcome
from bot.core.sanitize import clean_line


def format_console_line(
    source_name: str, title: str, link: str | None, topic: str, score: float, terms: list[str]
) -> str:
    """`0.87  drug-control-cooperation  China Daily  Title  https://...  [terms]`."""
    shown_terms = clean_line(", ".join(terms[:6]))
    parts = [f"{score:.2f}", topic, source_name, title, link or "-"]
    # Feed text on a terminal: escape sequences and newlines would be acted on, not shown.
    line = "  ".join(clean_line(part) for part in parts)
    return f"{line}  [{shown_terms}]" if shown_terms else line


def format_repeat_line(source_name: str, title: str, topic: str, original_item: int) -> str:
    """`      drug-control-cooperation  also reported by TASS: Title  (story of item 12)`."""
    topic, source_name, title = (clean_line(text) for text in (topic, source_name, title))
    return (
        f"{'':4}  {topic}  also reported by {source_name}: {title}  (story of item {original_item})"
    )


def print_now(line: str) -> None:
    """Print a line and flush it: stdout to a pipe or file (systemd, a log collector) is
    block-buffered, which would hold alerts back until kilobytes of them pile up."""
    print(line, flush=True)


class ConsoleNotifier:
    """Prints the matches of each poll outcome."""

    def __init__(self, write: Callable[[str], None] = print_now) -> None:
        self.write = write

    def announce(self, outcome: PollOutcome) -> None:
        for match in outcome.matches:
            if match.duplicate_of is not None:
                # The same story from another source: no new alert, only a note.
                self.write(
                    format_repeat_line(
                        match.source_name or outcome.source_name,
                        match.title or "(untitled)",
                        match.score.topic,
                        match.duplicate_of,
                    )
                )
                continue
            terms = [hit.term for hit in match.score.terms]
            self.write(
                format_console_line(
                    match.source_name or outcome.source_name,
                    match.title or "(untitled)",
                    match.link,
                    match.score.topic,
                    match.score.score,
                    terms,
                )
            )
