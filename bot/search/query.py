"""What a user asks for: words and quoted phrases, all of which a hit must contain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.search.analyze import Token

MAX_TERMS = 12
MAX_QUERY_CHARS = 400
MAX_LIMIT = 500
ORDERS = ("newest", "best")
Order = Literal["newest", "best"]

# Straight, curly and guillemet quotes, and the corner brackets Chinese and Japanese quote with.
_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "「": "」", "『": "』"}
_PIECE = re.compile(
    "|".join(f"{re.escape(o)}([^{re.escape(c)}]*){re.escape(c)}" for o, c in _QUOTES.items())
    + r"|(\S+)"
)


@dataclass(frozen=True, slots=True)
class Term:
    """Tokens a hit must contain one after the other: a word, or a phrase the user quoted."""

    text: str
    tokens: tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """Every term must be found in an item (title or text)."""

    terms: tuple[Term, ...]

    @property
    def text(self) -> str:
        """The query as the user wrote it, phrases quoted."""
        return " ".join(f'"{t.text}"' if " " in t.text else t.text for t in self.terms)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A query and what narrows it: since when, one topic's matches, sources left out."""

    query: Query
    limit: int = 20
    order: Order = "newest"
    since: datetime | None = None
    topic: str | None = None
    """Only items that matched this topic."""
    exclude_sources: tuple[int, ...] = ()


def split_words(text: str) -> list[str]:
    """Words of typed text; a quoted stretch ("golden triangle", «...», 「...」) stays one."""
    words = []
    for groups in _PIECE.findall(text):
        word = next((group for group in groups if group.strip()), "")
        if word:
            words.append(word)
    return words


def parse_query(words: Sequence[str]) -> Query:
    """The query of the given words (each may be a phrase); ValueError naming what is wrong."""
    # Imported here: the analyser loads the matcher's folding, which `--help` does not need.
    from bot.search.analyze import query_tokens

    typed = " ".join(words)
    if len(typed) > MAX_QUERY_CHARS:
        raise ValueError(
            f"the query is too long ({len(typed)} characters, at most {MAX_QUERY_CHARS})"
        )
    terms: list[Term] = []
    for word in words:
        tokens = query_tokens(word)
        if tokens:
            terms.append(Term(" ".join(word.split()), tokens))
    if not terms:
        raise ValueError("no words to search for (letters or digits are needed)")
    if len(terms) > MAX_TERMS:
        raise ValueError(f"too many words ({len(terms)}, at most {MAX_TERMS})")
    return Query(tuple(terms))
