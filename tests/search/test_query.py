"""Typed queries: words and quoted phrases, and clear errors for what cannot be searched."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.search.analyze import Token
from bot.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse_query, split_words
from bot.storage.search import fts5_match, tsquery


def test_quotes_keep_a_phrase_together() -> None:
    """Straight, curly, guillemet and corner-bracket quotes each make one phrase."""
    typed = 'opium "golden triangle" «центральная азия» 「禁毒合作」 “a b” 30d'
    assert split_words(typed) == [
        "opium",
        "golden triangle",
        "центральная азия",
        "禁毒合作",
        "a b",
        "30d",
    ]


def test_an_unclosed_or_empty_quote_is_just_text() -> None:
    """A lone quote mark stays part of its word; an empty pair is dropped."""
    assert split_words('x"y "" z') == ['x"y', "z"]


def test_each_word_is_a_term_and_a_phrase_is_one() -> None:
    """Words become terms of one token; a phrase a term of several, in order."""
    query = parse_query(["heroin", "golden triangle"])
    assert [term.tokens for term in query.terms] == [
        (Token("heroin"),),
        (Token("golden"), Token("triangl")),
    ]
    assert query.text == 'heroin "golden triangle"'


def test_punctuation_only_words_are_skipped_and_nothing_left_is_an_error() -> None:
    """Words without letters or digits do not count; a query of only those is refused."""
    assert len(parse_query(["--", "opium"]).terms) == 1
    with pytest.raises(ValueError, match="no words to search for"):
        parse_query(["!!", "…"])


def test_limits_are_named() -> None:
    """Too long a query, or too many words, is refused with the limit in the message."""
    with pytest.raises(ValueError, match=f"at most {MAX_QUERY_CHARS}"):
        parse_query(["x" * (MAX_QUERY_CHARS + 1)])
    with pytest.raises(ValueError, match=f"at most {MAX_TERMS}"):
        parse_query([f"w{n}" for n in range(MAX_TERMS + 1)])


@given(st.text(max_size=60))
def test_any_typed_text_is_a_valid_index_query_or_a_clear_error(typed: str) -> None:
    """Whatever a user types is refused with ValueError or becomes an FTS5 query that SQLite
    accepts (tokens are quoted; operators and quotes typed are only text)."""
    try:
        query = parse_query(split_words(typed))
    except ValueError:
        return
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 0')")
        db.execute("INSERT INTO t VALUES ('some words')")
        db.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_match(query),)).fetchall()
    assert tsquery(query).count("(") == len(query.terms)
