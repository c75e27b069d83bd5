"""Cases the matcher got wrong once, kept right."""

from __future__ import annotations

from bot.matching import Matcher
from tests.matching.conftest import score


def test_drugs_mentioned_in_passing_do_not_make_terror_cooperation_match(
    matcher: Matcher,
) -> None:
    """One bare "drug" in a list of threats is not enough drug evidence (dev en-186)."""
    result = score(
        matcher,
        "How international and regional cooperation is driving the war on terror",
        "Security cooperation counters extremism, terrorism, organized crime, drug and human "
        "trafficking and cyber-attacks, Europol says.",
    )
    assert not result.matched


def test_domestic_joint_operations_are_not_international_cooperation(matcher: Matcher) -> None:
    """County and state police working together on meth is cut for lack of a border."""
    result = score(
        matcher,
        "Joint operation by county and state police nets 20 meth dealers in Ohio",
        "Deputies and state troopers arrested 20 suspected methamphetamine dealers.",
    )
    assert not result.matched
    assert any("missing cross-border" in r for r in result.reasons)


def test_medicines_cooperation_is_not_drug_control(matcher: Matcher) -> None:
    """Regulators agreeing on drug approvals are excluded (pharmaceutical sense)."""
    result = score(
        matcher,
        "EU and China agree cooperation on drug regulation",
        "Medicines regulators will cooperate on drug approval and clinical trials.",
    )
    assert not result.matched


def test_narcotic_drugs_in_chinese_are_not_medicines(matcher: Matcher) -> None:
    """麻醉药品 (narcotic drugs) is a drug term; the 药品 (medicines) inside it is not counted."""
    result = score(matcher, "上合组织反对非医疗目的使用麻醉药品合法化", "")
    groups = {h.term: h.group for h in result.terms}
    assert groups.get("麻醉药品") == "drugs"
    assert "药品" not in groups


def test_chinese_pair_forms_name_both_countries_but_not_inside_other_words(
    matcher: Matcher,
) -> None:
    """中缅 is China and Myanmar; 其中美国 ("among them the US") is not 中美, 中老年 not 中老."""
    assert {"China", "Myanmar"} <= {e.name for e in score(matcher, "中缅联合扫毒", "").entities}
    names = {e.name for e in score(matcher, "其中美国代表发言,中老年人参加", "").entities}
    assert names == {"United States"}


def test_latin_american_is_a_region_not_the_united_states(matcher: Matcher) -> None:
    """ "Latin American cartels" names no country."""
    result = score(matcher, "Latin American cartels ship cocaine", "")
    assert [(e.name, e.type) for e in result.entities] == [("Latin America", "place")]


def test_a_foreign_trafficker_alone_is_not_cooperation(matcher: Matcher) -> None:
    """A border seizure from a foreign national has two countries but no cooperation (en-018)."""
    result = score(
        matcher,
        "Chinese police seize Myanmar drug trafficker with 14.9 kilograms of heroin",
        "Police in Yunnan detained a trafficker from Myanmar crossing the China-Myanmar border.",
    )
    assert not result.matched


def test_a_regex_term_does_not_hide_the_terms_inside_it(matcher: Matcher) -> None:
    """`joint ... operation` (a regex) spanning "anti-drug" leaves "anti-drug" a drug term."""
    result = score(
        matcher,
        "Vietnam and China sign joint anti-drug operation",
        "Police of Vietnam and China will share intelligence on ketamine trafficking.",
    )
    assert result.matched
    assert {hit.term for hit in result.terms} >= {"anti-drug", "joint ... operation"}
