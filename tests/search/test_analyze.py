"""Search documents and query tokens: stems, CJK bigrams, folding, and the length cap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import Item
from bot.search.analyze import (
    MAX_TEXT_CHARS,
    MAX_TOKENS,
    Token,
    document,
    document_tokens,
    query_tokens,
)


def tokens(title: str, summary: str = "") -> list[str]:
    return document(Item(title=title, summary=summary)).split(" ")


def test_chinese_runs_become_bigrams_and_their_last_character() -> None:
    """A run without spaces is its overlapping pairs plus its last character; punctuation
    ends a run."""
    assert tokens("加强禁毒合作。打击") == [
        "加强",
        "强禁",
        "禁毒",
        "毒合",
        "合作",
        "作",
        "打击",
        "击",
    ]
    assert tokens("毒") == ["毒"]


def test_queries_use_the_same_bigrams() -> None:
    """A Chinese word is the phrase of its bigrams; one character is a prefix."""
    assert query_tokens("禁毒合作") == (Token("禁毒"), Token("毒合"), Token("合作"))
    assert query_tokens("禁毒") == (Token("禁毒"),)
    assert query_tokens("毒") == (Token("毒", prefix=True),)


def test_a_run_followed_by_more_ends_as_in_documents() -> None:
    """Inside a phrase a CJK run that another piece follows ends with its last character, as
    the document's run does there, so the next piece stays adjacent."""
    assert query_tokens("禁毒sco") == (Token("禁毒"), Token("毒"), Token("sco"))
    assert query_tokens("禁 合作") == (Token("禁"), Token("合作"))


def test_russian_forms_share_one_stem() -> None:
    """Inflected Russian forms are one token in documents and queries alike."""
    forms = ("наркотрафик", "наркотрафика", "наркотрафиком", "Наркотрафику", "НАРКОТРАФИКЕ")
    assert {tokens(form)[0] for form in forms} == {"наркотрафик"}
    assert {query_tokens(form) for form in forms} == {(Token("наркотрафик"),)}


def test_english_is_stemmed_and_folded() -> None:
    """English forms share a stem; case, width, hyphens and Latin accents do not matter."""
    assert tokens("Drugs COOPERATION Anti-drug México") == tokens(
        "drug cooperating anti drug mexico"
    )
    assert tokens("ＣＯＯＰＥＲＡＴＩＯＮ") == tokens("cooperation")
    assert tokens("İstanbul Ǆemal") == tokens("istanbul dzemal")
    assert tokens("police") != tokens("policy")


def test_traditional_chinese_is_folded_to_simplified() -> None:
    """Traditional characters index as simplified, so either script finds the other."""
    assert tokens("加強禁毒合作") == tokens("加强禁毒合作")
    assert query_tokens("加強合作") == query_tokens("加强合作")


def test_markup_is_not_indexed() -> None:
    """Tags and attributes are dropped; entities are decoded."""
    assert tokens("T", "<p class='x'>Opium &amp; heroin</p>") == ["t", "opium", "heroin"]


def test_mixed_scripts_split_at_the_script_change() -> None:
    """Latin next to Chinese without a space is two pieces; digits stay whole."""
    assert tokens("SCO禁毒 2017年") == ["sco", "禁毒", "毒", "2017", "年"]
    assert query_tokens("sco禁") == (Token("sco"), Token("禁", prefix=True))
    assert query_tokens("禁毒2017") == (Token("禁毒"), Token("毒"), Token("2017"))


def test_trailing_star_makes_a_prefix() -> None:
    """`нарко*` looks for stems starting with the word's stem."""
    assert query_tokens("нарко*") == (Token("нарк", prefix=True),)
    assert query_tokens("*") == ()


def test_documents_are_capped() -> None:
    """A huge text is indexed up to MAX_TOKENS tokens (PostgreSQL keeps positions up to 16383),
    and only its first MAX_TEXT_CHARS characters are read at all."""
    assert len(document_tokens("word " * (MAX_TOKENS + 500))) == MAX_TOKENS
    assert len(document_tokens("禁毒" * MAX_TOKENS)) == MAX_TOKENS
    full = Item(title="Big", summary="x" * MAX_TEXT_CHARS, content="zebra")
    assert document(full).split(" ") == ["big", "x" * MAX_TEXT_CHARS]
    room = Item(title="Big", summary="x" * (MAX_TEXT_CHARS - 10), content="zebra")
    assert document(room).split(" ")[-1] == "zebra"


@given(st.text(max_size=300))
def test_documents_are_space_separated_letters_and_digits(text: str) -> None:
    """Any text gives tokens of letters and digits only, joined by single spaces, so both
    databases split a document exactly where the analyser did."""
    doc = document(Item(title=text))
    assert "  " not in doc
    assert doc == doc.strip()
    assert all(token.isalnum() for token in doc.split(" ") if token)
