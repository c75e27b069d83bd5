"""Headlines written after the topic was tuned, of the kinds the labelled set holds."""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from tests.matching.conftest import score

COOPERATION = [
    (
        "Interpol-led Operation Lionfish seizes cocaine worth $1bn across 15 countries",
        "Police and customs in Latin America and West Africa took part in the operation "
        "coordinated by Interpol.",
    ),
    (
        "US and Mexico agree to step up joint efforts against fentanyl trafficking",
        "The two governments will share intelligence and target precursor chemical shipments.",
    ),
    (
        "Наркополицейские России и Таджикистана провели совместную операцию",
        "В ходе операции пресечен канал контрабанды героина из Афганистана.",
    ),
    ("中缅警方联合破获特大跨国贩毒案", "双方开展执法合作，缴获冰毒2吨。"),
    (
        "Australian and Chinese police seize 1.2 tonnes of ice in joint operation",
        "The AFP said Taskforce Blaze had worked with China's Ministry of Public Security.",
    ),
    (
        "ASEAN ministers adopt new work plan on securing communities against illicit drugs",
        "The ASEAN Ministerial Meeting on Drug Matters agreed to strengthen regional cooperation.",
    ),
]

NOT_COOPERATION = [
    (
        "Police in Manila arrest five in shabu raid",
        "Officers seized 200 grams of methamphetamine in a buy-bust operation in Quezon City.",
    ),
    (
        "EU and China sign agreement on electric vehicle tariffs",
        "Trade ministers said the cooperation would benefit both economies.",
    ),
    (
        "Pfizer and Merck collaborate on new cancer drug trial across Europe",
        "The joint trial will enrol patients in Germany, France and Italy.",
    ),
    (
        "Kazakhstan and Uzbekistan sign agreement on counter-terrorism cooperation",
        "The security services will share intelligence on extremist groups.",
    ),
    (
        "Thailand police seize 10 million meth pills in Chiang Rai",
        "The drugs were found in a truck near the border, police said.",
    ),
    (
        "India and Russia agree to boost pharmaceutical trade",
        "Drug makers from both countries will cooperate on generic medicines.",
    ),
]


@pytest.mark.parametrize(("title", "body"), COOPERATION)
def test_cross_border_drug_control_cooperation_matches(
    matcher: Matcher, title: str, body: str
) -> None:
    """Joint operations, agreements and regional bodies against drugs match."""
    assert score(matcher, title, body).matched


@pytest.mark.parametrize(("title", "body"), NOT_COOPERATION)
def test_domestic_busts_other_cooperation_and_medicines_do_not(
    matcher: Matcher, title: str, body: str
) -> None:
    """One country's busts, cooperation on other matters and medicines do not match."""
    assert not score(matcher, title, body).matched
