"""TopicScore.actors: who acted, as ISO codes and bodies' names, in every language."""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from tests.matching.conftest import score


@pytest.mark.parametrize(
    ("title", "body", "actors"),
    [
        (
            "Kazakhstan and Kyrgyzstan police hold joint anti-drug operation with CARICC",
            "The interior ministries seized heroin in a joint operation coordinated by CARICC.",
            ("KZ", "KG", "CARICC"),
        ),
        (
            "中国与哈萨克斯坦开展禁毒合作",
            "中哈两国警方联合破获一起跨国贩毒案，缴获海洛因。",
            ("CN", "KZ"),
        ),
        (
            "Китай и Лаос провели совместную операцию против наркотрафика",
            "Полиция Китая и Лаоса задержала наркокурьеров, граждан Таджикистана.",
            ("CN", "LA"),
        ),
    ],
)
def test_actors_are_the_acting_countries_and_bodies(
    matcher: Matcher, title: str, body: str, actors: tuple[str, ...]
) -> None:
    """Countries acting become ISO codes, in order of mention, then the bodies; a country named
    only as the couriers' nationality (Tajikistan) is no actor."""
    found = score(matcher, title, body)
    assert found.matched
    assert found.actors == actors


def test_an_item_with_no_actor_has_none(matcher: Matcher) -> None:
    """Nothing found, nobody acting."""
    assert score(matcher, "Sunny weekend ahead", "Mild temperatures.").actors == ()
