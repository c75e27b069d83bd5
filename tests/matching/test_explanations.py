"""Every score explains itself: terms with groups and counts, entities, readable reasons."""

from __future__ import annotations

from bot.core.models import EntityHit, TermHit
from bot.matching import Matcher
from tests.matching.conftest import score

TITLE = "China and Myanmar police destroy heroin network in joint operation"
BODY = "UNODC praised the cross-border cooperation. Police seized 700 kg of heroin."


def test_terms_list_the_configured_term_its_group_and_count(matcher: Matcher) -> None:
    """Terms are reported as written in the topic file, grouped, counted."""
    result = score(matcher, TITLE, BODY)
    assert TermHit("heroin", "drugs", 2) in result.terms
    assert TermHit("joint operation*", "cooperation", 1) in result.terms
    assert TermHit("cross-border", "transnational", 1) in result.terms


def test_entities_are_named_with_their_type(matcher: Matcher) -> None:
    """Countries and international bodies appear once each, in order of appearance."""
    result = score(matcher, TITLE, BODY)
    assert result.entities[:3] == (
        EntityHit("China", "country"),
        EntityHit("Myanmar", "country"),
        EntityHit("UNODC", "organisation"),
    )


def test_reasons_name_groups_proximity_cross_border_and_verdict(matcher: Matcher) -> None:
    """Reasons say what each part added, quote where the required groups meet, and conclude."""
    reasons = score(matcher, TITLE, BODY).reasons
    assert any(r.startswith("drugs: heroin") for r in reasons)
    assert any(r.startswith("cooperation: ") and "UNODC" in r for r in reasons)
    assert any("drugs and cooperation in one sentence" in r and "“" in r for r in reasons)
    assert any(
        r.startswith("cross-border: 2 countries (China, Myanmar); international bodies (UNODC)")
        for r in reasons
    )
    assert reasons[-1].startswith("score ")
    assert reasons[-1].endswith(": matched")


def test_a_missing_required_group_is_explained(matcher: Matcher) -> None:
    """Cooperation without drugs says which group is missing and what that did to the score."""
    result = score(matcher, "China and Myanmar sign trade cooperation agreement", "")
    assert not result.matched
    assert any(r.startswith("missing required group drugs: score x0.5") for r in result.reasons)


def test_exclusions_are_explained(matcher: Matcher) -> None:
    """The pharmaceutical sense of "drug" shows up as an exclusion with its penalty."""
    result = score(
        matcher,
        "US and India cooperate to cut prescription drug prices",
        "Pharmaceutical companies and generic drug makers welcomed the agreement.",
    )
    assert not result.matched
    assert any(r.startswith("exclusions: ") and "-0." in r for r in result.reasons)
    assert any(h.group == "exclusion" for h in result.terms)


def test_far_apart_groups_earn_no_proximity(matcher: Matcher) -> None:
    """Drug and cooperation words in different sentences, far apart, get no proximity bonus."""
    filler = " ".join(["The weather was mild and the markets were calm."] * 6)
    result = score(matcher, "Heroin seized", f"{filler} China and Laos signed a cooperation deal.")
    assert not any("one sentence" in r or "within" in r for r in result.reasons)
