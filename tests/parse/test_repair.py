"""Mojibake in feed text repaired, correct text left alone."""

from __future__ import annotations

import pytest

from bot.core.models import Item
from bot.parse import parse_body
from bot.parse.repair import repair_item, repair_text

CORRECT = [
    "中国与缅甸加强禁毒合作，双方同意“联合行动”。",
    "港大創HINCare銀齡數據庫\u3000助NGO拓長者「時間銀行」系統",
    "ФСКН и КНР: «совместная операция» — изъято 50 кг героина",
    "Grüße aus München: Straße, Äpfel – „Zitat“ ‚x‘ ß",
    "Ação de combate às drogas: polícia apreende cocaína em São Paulo — «ótimo»",
    "Trudeau’s “top” advisers… ½ ©2017 café naïve; ﬁ ligature, ｆｕｌｌ width",
]


@pytest.mark.parametrize("text", CORRECT)
def test_correct_text_is_unchanged(text: str) -> None:
    """Right Chinese, Russian, German, Portuguese and typographic English text comes back as
    it was (no straightened quotes, no width or ligature folding)."""
    assert repair_text(text) == text


def mojibake(text: str, *, times: int = 1) -> str:
    """`text` as it reads when its UTF-8 bytes are taken for cp1252 (bytes cp1252 leaves
    undefined read as Latin-1, as browsers and feed generators do)."""
    for _ in range(times):
        text = "".join(_cp1252(byte) for byte in text.encode("utf-8"))
    return text


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        (
            "Prime Minister Justin Trudeauâ€™s top advisers",
            "Prime Minister Justin Trudeau’s top advisers",
        ),
        (
            "wearable app store â€œas soon as possible,â€\x9d the",
            "wearable app store “as soon as possible,” the",
        ),
        (
            "Prachanda’s â€˜secretâ€™ meet with CJ",  # right and broken quotes in one title
            "Prachanda’s ‘secret’ meet with CJ",
        ),
        (mojibake("В Москве из-за сильных морозов"), "В Москве из-за сильных морозов"),
        (mojibake("«Во заваливает!»"), "«Во заваливает!»"),
        (mojibake("中国与缅甸加强禁毒合作"), "中国与缅甸加强禁毒合作"),
        (mojibake("Grüße aus München", times=2), "Grüße aus München"),
    ],
)
def test_mojibake_is_repaired(broken: str, fixed: str) -> None:
    """UTF-8 read as cp1252 (once, or twice for Cyrillic) reads right again."""
    assert repair_text(broken) == fixed


def test_lone_control_characters_are_not_read_as_cp1252() -> None:
    """A C1 control on its own is no mojibake: it is left for sanitising to drop."""
    assert repair_text("Bell and CSI \x9b2J") == "Bell and CSI \x9b2J"


def test_items_are_repaired_in_title_summary_and_content_and_kept_when_clean() -> None:
    """Only broken fields change; a clean item is returned as it was."""
    clean = Item(title=CORRECT[0], summary=CORRECT[2], link="https://e.org/1")
    assert repair_item(clean) is clean
    broken = Item(
        title="Indiaâ€™s claim", summary="Ã© ok", content="It wasnâ€™t", link="https://e.org/2"
    )
    repaired = repair_item(broken)
    assert (repaired.title, repaired.summary, repaired.content) == (
        "India’s claim",
        "é ok",
        "It wasn’t",
    )
    assert repaired.link == broken.link


def test_parsed_feeds_come_out_repaired() -> None:
    """parse_body repairs what the feed itself carries, before anything matches on it."""
    body = (
        "<rss version='2.0'><channel><title>t</title><item><guid>1</guid>"
        "<title>Trudeauâ€™s drug policy</title><description>Fitbit â€œsoonâ€\x9d</description>"
        "</item></channel></rss>"
    ).encode()
    (item,) = parse_body(body, url="https://e.org/feed", content_type="application/rss+xml").items
    assert item.title == "Trudeau’s drug policy"
    assert item.summary == "Fitbit “soon”"
