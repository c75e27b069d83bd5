"""Actors, not mentions: roles of entities, nationality and origin cues, entity names."""

from __future__ import annotations

import pytest

from bot.core.models import Item
from bot.matching import Matcher, TopicSpec, compile_topics
from bot.matching.actors import (
    ACTS_AS_AGENCY,
    AGENCY,
    BODY,
    COUNTRY,
    PASSIVE,
    Mention,
    cast,
    is_passive,
    mention_kind,
)
from bot.matching.countries import place_gazetteer
from bot.matching.hanzi import to_simplified
from bot.matching.normalize import fold
from tests.matching.conftest import score


def _mention(text: str, name: str, said: str, role: str = COUNTRY) -> Mention:
    start = text.index(said)
    return Mention(name, role, name if role == COUNTRY else "Country", [(start, start + len(said))])


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("two colombian nationals were arrested in madrid", "colombian"),
        ("police seized cocaine from colombia at the port", "colombia"),
        ("a container bound for australia was searched", "australia"),
        ("the drugs were of mexican origin", "mexican"),
        ("three nigerians were detained at the airport", "nigerians"),
        ("двое граждан таджикистана осуждены", "таджикистана"),
        ("таджикистанцев осудили за контрабанду", "таджикистан"),
        ("警方抓获2名泰籍嫌犯", "泰"),
        ("这批毒品来自缅甸", "缅甸"),
    ],
)
def test_nationality_origin_and_destination_are_not_actors(text: str, said: str) -> None:
    """A country named as the suspects' nationality or the drugs' origin or route is passive."""
    start = text.index(said)
    assert is_passive(text, start, start + len(said), name="x")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("colombian police and spanish police seized cocaine", "colombian"),
        ("officials from laos met their counterparts", "laos"),
        ("the suspect was handed over to thailand", "thailand"),
        ("缅甸警方与中国警方联合行动", "缅甸"),
    ],
)
def test_countries_that_act_are_actors(text: str, said: str) -> None:
    """A country whose police, officials or state act is an actor."""
    start = text.index(said)
    assert not is_passive(text, start, start + len(said), name=said)


def test_cues_stop_at_the_end_of_the_title() -> None:
    """A country closing the headline does not borrow the police that open the body."""
    text = "pills seized from syria\njordanian customs found the pills"
    start = text.index("syria")
    assert mention_kind(text, start, start + 5, name="syria") == PASSIVE
    start = text.index("jordanian")
    assert mention_kind(text, start, start + 6, name="jordan") == ACTS_AS_AGENCY


def test_cast_sorts_roles_into_actors_bodies_and_passive_countries() -> None:
    """Agencies act for their country, bodies are international, a nationality is not counted."""
    text = "the dea and ghana police arrested two colombian nationals, unodc said"
    found = cast(
        [
            _mention(text, "Drug Enforcement Administration", "dea", AGENCY),
            Mention("Ghana", COUNTRY, "Ghana", [(text.index("ghana"), text.index("ghana") + 5)]),
            _mention(text, "Colombia", "colombian"),
            _mention(text, "UNODC", "unodc", BODY),
        ],
        text,
    )
    assert found.countries() == ["Country", "Ghana"]
    assert found.agencies == {"Country", "Ghana"}
    assert found.bodies == ["UNODC"]
    assert found.passive == ["Colombia"]


def test_single_country_seizure_of_foreign_drugs_is_not_cross_border(matcher: Matcher) -> None:
    """Drugs from abroad seized by one country's agencies acting jointly is domestic work."""
    result = score(
        matcher,
        "Police and customs seize cocaine shipped from Colombia",
        "A joint task force of Spanish police and customs seized 2 tonnes of cocaine "
        "shipped from Colombia and arrested three Colombian nationals in Valencia.",
    )
    assert not result.matched
    assert any(
        "not counted (nationality, origin or destination): Colombia" in r for r in result.reasons
    )


def test_agencies_of_two_countries_are_cooperation_without_a_cooperation_word(
    matcher: Matcher,
) -> None:
    """A foreign agency named with a local one is cooperation evidence, and says which."""
    result = score(
        matcher,
        "Ghana police and Britain's National Crime Agency seize cocaine",
        "Ghana police and the UK's National Crime Agency seized 500 kg of cocaine at Tema port.",
    )
    assert result.matched
    assert any(r.startswith("cooperation: actors") for r in result.reasons)
    assert any("actors that counted: Ghana" in r for r in result.reasons)


def test_an_entity_name_is_no_evidence_of_its_words(matcher: Matcher) -> None:
    """UNODC's "Drugs" is not drug evidence, only its wider mandate counts (partly): a
    piracy item of UNODC's is not a drug item."""
    result = score(
        matcher,
        "UN Office on Drugs and Crime trains Somali coastguards against piracy",
        "The United Nations Office on Drugs and Crime and Kenya trained coastguards from "
        "Somalia in maritime law enforcement to counter piracy.",
    )
    assert not result.matched
    (drugs,) = [r for r in result.reasons if r.startswith("drugs:")]
    assert drugs.startswith("drugs: UNODC (mandate) (evidence 0.5)")
    assert not any(t.group == "drugs" for t in result.terms)


def test_a_drug_control_body_acting_is_drug_evidence(matcher: Matcher) -> None:
    """A body whose mandate is drug control counts for the drug side when it acts, though
    the item names no drug: the INCB's report launched by two countries is relevant."""
    result = score(
        matcher,
        "South Asia: Presentation of the annual report of the International Narcotics "
        "Control Board",
        "Officials of India and Bhutan presented the Board's annual report in New Delhi.",
    )
    assert result.matched
    assert any(
        r.startswith("drugs: International Narcotics Control Board (mandate)")
        for r in result.reasons
    )


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "US donates vehicles to Kenya's anti-narcotics unit",
            "The United States donated ten vehicles to Kenya's anti-narcotics unit.",
        ),
        (
            "Drug suspect handed over to Thai police",
            "Lao police handed over a heroin trafficker to Thai police at the border.",
        ),
        (
            "美国向肯尼亚禁毒部门捐赠车辆",
            "美国向肯尼亚警方捐赠十辆汽车,用于打击毒品走私。",
        ),
        (
            "Россия передала Таджикистану оборудование для борьбы с наркотрафиком",
            "Россия безвозмездно передала Агентству по контролю за наркотиками Таджикистана "
            "оборудование.",
        ),
    ],
)
def test_forms_of_cooperation_match(matcher: Matcher, title: str, body: str) -> None:
    """Donations and handovers are cooperation in every language, with no 'cooperation'."""
    assert score(matcher, title, body).matched


def test_opencc_folds_traditional_text_to_simplified() -> None:
    """Traditional characters fold to simplified by OpenCC, word by word (製毒 -> 制毒)."""
    assert to_simplified("聯合國禁毒署與緬甸警方") == "联合国禁毒署与缅甸警方"
    assert fold("製毒工廠") == fold("制毒工厂")
    assert to_simplified("Наркотики and drugs") == "Наркотики and drugs"


def test_traditional_text_matches_simplified_terms(matcher: Matcher) -> None:
    """A traditional-script item (Taiwan, Hong Kong) matches the topic's simplified terms."""
    result = score(matcher, "台泰警方聯手破獲海洛因走私案", "泰國警方與臺灣警方聯手緝毒,查扣贓款。")
    assert {"联手", "海洛因", "缉毒"} <= {t.term for t in result.terms}
    assert result.matched


@pytest.fixture(scope="module")
def with_places(topic: TopicSpec) -> Matcher:
    entities = topic.entities.model_copy(update={"places": True})
    return compile_topics([topic.model_copy(update={"entities": entities})])


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Army raids a lab in Sinaloa", "Mexico"),
        ("Police in Kachin State seize heroin", "Myanmar"),
        ("Customs in Primorsky Krai seize heroin", "Russia"),
        ("警方在克钦邦查获海洛因", "Myanmar"),
        ("昆明警方查获海洛因", "China"),
        ("Полиция Кабула изъяла героин", "Afghanistan"),
    ],
)
def test_places_stand_for_their_country(with_places: Matcher, text: str, country: str) -> None:
    """Provinces, states and big cities (from pycountry and GeoNames data) map to a country."""
    result = with_places.score(Item(title=text))[0]
    assert any(f"actors that counted: {country} (" in r for r in result.reasons), result.reasons


def test_a_place_named_like_another_country_is_left_out() -> None:
    """An ambiguous name (Georgia: a US state and a country) is not in the place table."""
    names = {e.name for e in place_gazetteer().entities}
    assert "Georgia" not in names
    assert {"Sinaloa", "Kachin"} <= names


@pytest.mark.parametrize(
    ("title", "body", "acting"),
    [
        (
            "Гражданина Украины экстрадировали из Польши в Казахстан",
            "Его обвиняют в сбыте наркотиков.",
            "Poland, Kazakhstan",
        ),
        (
            "Suspect extradited from Spain to Colombia",
            "The drug trafficker was extradited from Spain to face charges in Colombia.",
            "Spain, Colombia",
        ),
        (
            "Сотрудники из Таджикистана и России изъяли героин",
            "Совместная операция.",
            "Tajikistan, Russia",
        ),
    ],
)
def test_a_country_that_sends_a_suspect_or_its_officers_acts(
    matcher: Matcher, title: str, body: str, acting: str
) -> None:
    """A suspect extradited "from" a country was sent by it, and officers "from" a country act
    for it, in Russian ("из", the cue that takes the space before it) as in English."""
    result = score(matcher, title, body)
    assert any(r.startswith(f"actors that counted: {acting}") for r in result.reasons)
