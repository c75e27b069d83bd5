"""Matching in English, Chinese (both scripts) and Russian (with its inflections)."""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from tests.matching.conftest import score

ON_TOPIC = [
    (
        "en",
        "Thai and Lao police seize yaba pills in joint operation",
        "Police from Thailand and Laos seized methamphetamine after sharing intelligence.",
    ),
    ("zh", "中国与哈萨克斯坦签署禁毒合作协议", "双方将加强情报交流,联合打击跨国贩毒活动。"),
    (
        "zh-Hant",
        "中泰緬老四國聯合掃毒行動",
        "中國、泰國、緬甸、老撾四國執法部門聯合掃毒,繳獲冰毒。",
    ),
    (
        "ru",
        "Россия и Китай расширят сотрудничество в борьбе с наркотрафиком",
        "Министры договорились о совместных операциях против транснационального наркотрафика.",
    ),
]

OFF_TOPIC = [
    ("en", "Mumbai police seize heroin", "Police arrested four men with 50 kg of heroin."),
    ("zh", "中越两国签署贸易合作协议", "中国与越南签署贸易合作协议,扩大农产品贸易。"),
    ("ru", "В Москве задержали наркокурьера", "Полиция задержала мужчину с мефедроном."),
]


@pytest.mark.parametrize(("lang", "title", "body"), ON_TOPIC, ids=[t[0] for t in ON_TOPIC])
def test_cooperation_against_drugs_matches_in_each_language(
    matcher: Matcher, lang: str, title: str, body: str
) -> None:
    """A cross-border anti-drug operation or agreement matches whatever the language."""
    result = score(matcher, title, body)
    assert result.matched, result.reasons


@pytest.mark.parametrize(("lang", "title", "body"), OFF_TOPIC, ids=[t[0] for t in OFF_TOPIC])
def test_domestic_busts_and_trade_deals_do_not_match(
    matcher: Matcher, lang: str, title: str, body: str
) -> None:
    """A one-country drug arrest or a trade agreement stays below the threshold."""
    assert not score(matcher, title, body).matched


@pytest.mark.parametrize(
    "form", ["наркотик", "наркотиков", "наркотиками", "наркотиках", "Наркотики"]
)
def test_russian_stems_match_every_case(matcher: Matcher, form: str) -> None:
    """`наркотик*` finds the word in any case ending."""
    result = score(matcher, f"Изъяты {form}", "")
    assert [h.term for h in result.terms if h.group == "drugs"] == ["наркотик*"]


def test_russian_phrase_with_inner_wildcards(matcher: Matcher) -> None:
    """`обмен* информаци*` matches "обмена информацией" but not "обмен мнениями"."""
    hit = score(matcher, "Стороны договорились об обмене информацией", "")
    miss = score(matcher, "Стороны договорились об обмене мнениями", "")
    assert "обмен* информаци*" in [h.term for h in hit.terms]
    assert "обмен* информаци*" not in [h.term for h in miss.terms]


def test_traditional_characters_match_simplified_terms(matcher: Matcher) -> None:
    """緬甸 counts as 缅甸 (Myanmar) and 聯合 as 联合 (joint)."""
    result = score(matcher, "中緬聯合掃毒", "")
    assert {"China", "Myanmar"} <= {e.name for e in result.entities}
    assert "联合" in [h.term for h in result.terms]


def test_yo_is_read_as_ye(matcher: Matcher) -> None:
    """Russian ё and е are one letter for matching (партнёрство = партнерство)."""
    result = score(matcher, "Партнёрство против наркотиков", "")
    assert "партнерств*" in [h.term for h in result.terms]
