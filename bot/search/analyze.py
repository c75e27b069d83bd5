"""Text as the search index holds it: folded, stemmed words and overlapping Chinese bigrams.

One analysis for both databases, so SQLite (FTS5) and PostgreSQL (tsvector) find the same
items. An item's *document* is its index tokens joined by spaces; each back end only splits
it on the spaces and looks tokens up, so neither needs to know Russian or Chinese:

- text is folded as the matcher folds it (HTML stripped, NFKC, traditional Chinese made
  simplified, case-folded, ё as е), and Latin diacritics are dropped (México = mexico);
- Latin and Cyrillic words are reduced to their Snowball stems (English and Russian), so
  наркотрафик, наркотрафика and наркотрафиком are one token, as are drug and drugs;
- runs of Chinese, Japanese or Korean characters, written without spaces, become their
  overlapping two-character pieces plus the run's last character: 加强禁毒合作 is
  加强 强禁 禁毒 毒合 合作 作. A two-character word such as 禁毒 is then one token, a longer
  one a phrase of consecutive tokens, and one character a prefix (CJK bigrams, as Lucene's
  CJK analyser does).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from bot.core.models import Item
from bot.matching.normalize import CJK_START, fold, fold_item

MAX_TOKENS = 16_000
"""Tokens indexed per item: PostgreSQL keeps word positions up to 16,383 (phrases after that
would not match)."""
MAX_TEXT_CHARS = 100_000
"""Characters of an item's text (markup included) that are analysed: more than MAX_TOKENS
tokens take in any language, so a hostile megabyte costs no more than a long article."""

# Punctuation and symbols become spaces first, so that a run of characters from U+2E80 on is
# a run of CJK letters (the matcher's notion of CJK script), and the rest are words.
_ASCII_WORD = re.compile("[a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")
_PIECE = re.compile(f"[{CJK_START}-\U0010ffff]+|[^\\s{CJK_START}-\U0010ffff]+")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN_MARKS = re.compile("(?<=[a-z])[\u0300-\u036f]+")


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a query: matched whole, or as the start of longer tokens (`prefix`)."""

    text: str
    prefix: bool = False


@cache
def _stemmer(language: str) -> Any:
    """A Snowball stemmer, built once per process (it keeps a cache of recent words)."""
    import Stemmer

    return Stemmer.Stemmer(language)


def _latin(word: str) -> str | None:
    """A non-ASCII word without its Latin diacritics, when that leaves it ASCII (méxico)."""
    bare = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", word))
    return bare if bare.isascii() else None


def stem_words(words: list[str]) -> list[str]:
    """Folded words' stems: Russian for Cyrillic words, English for Latin ones (diacritics
    dropped); numbers and words of other scripts as they are. One stemmer call per language."""
    stems = list(words)
    english: list[int] = []
    russian: list[int] = []
    for n, word in enumerate(words):
        if word.isascii():
            if not word.isdigit():
                english.append(n)
        elif _CYRILLIC.search(word):
            russian.append(n)
        elif (bare := _latin(word)) is not None:
            stems[n] = bare
            english.append(n)
    for language, where in (("english", english), ("russian", russian)):
        if where:
            stemmed = _stemmer(language).stemWords([stems[n] for n in where])
            for n, value in zip(where, stemmed, strict=True):
                stems[n] = value
    return stems


def _pieces(folded: str) -> list[str]:
    """The words of folded text, each run of CJK characters apart (a piece from U+2E80 on)."""
    if folded.isascii():
        return _ASCII_WORD.findall(folded)
    # A mark left over after NFKC (no precomposed letter: İ folds to i + U+0307) would split
    # the word; on a Latin letter it goes, as the accents of é and ñ go in stem_words.
    folded = _LATIN_MARKS.sub("", folded)
    return _PIECE.findall(_NOT_WORD.sub(" ", folded))


def _bigrams(run: str) -> list[str]:
    return [run[n : n + 2] for n in range(len(run) - 1)]


def document_tokens(folded: str) -> list[str]:
    """The index tokens of folded text, in order, at most MAX_TOKENS."""
    tokens: list[str] = []
    words: list[int] = []
    for piece in _pieces(folded):
        if piece[0] >= CJK_START:
            tokens.extend(_bigrams(piece))
            tokens.append(piece[-1])
        else:
            words.append(len(tokens))
            tokens.append(piece)
        if len(tokens) >= MAX_TOKENS:
            del tokens[MAX_TOKENS:]
            break
    words = [n for n in words if n < MAX_TOKENS]
    for n, value in zip(words, stem_words([tokens[n] for n in words]), strict=True):
        tokens[n] = value
    return tokens


def document(item: Item) -> str:
    """An item's search document: the tokens of its title and text, joined by spaces."""
    summary = item.summary[:MAX_TEXT_CHARS]
    limited = replace(
        item,
        title=item.title[:MAX_TEXT_CHARS],
        summary=summary,
        content=item.content[: MAX_TEXT_CHARS - len(summary)],
    )
    return " ".join(document_tokens(fold_item(limited).text))


def query_tokens(words: str) -> tuple[Token, ...]:
    """The tokens of what a user typed, to be found one after the other (a phrase).

    Stems as in documents. A CJK run is its bigrams; where another piece follows it, the run
    ends there in a matching document too, so its last character follows as in documents. A
    run that ends the query may go on in a document: one character is then a prefix (found
    at the start of the bigrams). A trailing `*` makes the last token a prefix.
    """
    text = words.strip()
    prefix = text.endswith("*")
    pieces = _pieces(fold(text.rstrip("*")))
    tokens: list[Token] = []
    for n, piece in enumerate(pieces):
        last = n == len(pieces) - 1
        if piece[0] < CJK_START:
            tokens.append(Token(stem_words([piece])[0]))
            continue
        tokens.extend(Token(pair) for pair in _bigrams(piece))
        if len(piece) == 1 or not last:
            tokens.append(Token(piece[-1], prefix=last))
    if prefix and tokens:
        tokens[-1] = Token(tokens[-1].text, prefix=True)
    return tuple(tokens)
