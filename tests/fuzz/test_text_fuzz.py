"""Property tests of text cleaning: whatever goes in, what comes out is safe to store and show."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import Item
from bot.core.sanitize import clean_item, clean_line, clean_text
from bot.core.text import fold_space, html_to_text
from bot.core.weburl import web_url_problem
from tests.fuzz.strategies import assert_storable, hostile_link, hostile_text

any_text = st.text() | hostile_text


@given(any_text)
def test_clean_text_is_idempotent_and_encodable(text: str) -> None:
    """Cleaned text encodes as UTF-8, has no NUL or controls, and cleaning again changes nothing."""
    cleaned = clean_text(text)
    cleaned.encode("utf-8")
    assert clean_text(cleaned) == cleaned
    assert "\x00" not in cleaned
    assert "\n" not in clean_line(text)


@given(
    st.builds(
        Item,
        title=any_text,
        link=hostile_link,
        guid=st.none() | any_text,
        summary=any_text,
        content=any_text,
        author=st.none() | any_text,
        lang=st.none() | any_text,
    )
)
def test_clean_item_is_storable(item: Item) -> None:
    """Every field of a cleaned item can go into PostgreSQL and out to Telegram."""
    cleaned = clean_item(item)
    for name in ("title", "summary", "content", "guid", "author", "lang"):
        value = getattr(cleaned, name)
        if value is not None:
            assert clean_text(value) == value, name
            value.encode("utf-8")
    if cleaned.link is not None:
        assert clean_text(cleaned.link) == cleaned.link


@given(any_text.map(clean_text))
def test_html_to_text_and_fold_space_return_text(markup: str) -> None:
    """HTML-to-text and space folding take any cleaned string without raising. (Cleaned: a lone
    surrogate with an `&` crashes BeautifulSoup; parsers clean text before it gets there.)"""
    assert isinstance(html_to_text(markup), str)
    assert isinstance(fold_space(markup), str)


@given(hostile_link.filter(lambda link: link is not None))
def test_url_checks_never_raise(url: str | None) -> None:
    """The URL check behind /addsource and OPML import answers for any text."""
    assert url is not None
    problem = web_url_problem(url)
    assert problem is None or isinstance(problem, str)


def test_storable_check_rejects_what_it_should() -> None:
    """The fuzz tests' own check fails on a NUL and on a javascript: link."""
    for bad in (Item(title="a\x00b"), Item(title="t", link="javascript:alert(1)")):
        try:
            assert_storable(bad)
        except AssertionError:
            continue
        raise AssertionError(f"assert_storable accepted {bad}")
