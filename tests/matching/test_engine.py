"""The engine's matching rules: boundaries, wildcards, case, longest match, title, HTML."""

from __future__ import annotations

import pytest

from bot.core.models import Item
from bot.matching import Matcher, TopicSpec, compile_topics
from bot.matching.spec import TopicSpec as Spec
from tests.matching.conftest import score


def small_topic(**overrides: object) -> Spec:
    data: dict[str, object] = {
        "id": "small",
        "title": "Small",
        "threshold": 0.3,
        "groups": {
            "a": {
                "weight": 0.5,
                "terms": {
                    "en": ["drug", "drug trafficking", "coop*", {"term": "US", "match_case": True}],
                    "ru": ["незаконн* оборот* наркотик*"],
                    "zh": ["禁毒"],
                },
            },
            "b": {"weight": 0.5, "terms": {"en": [{"regex": "operation [a-z]+storm"}]}},
        },
    }
    data.update(overrides)
    return Spec.model_validate(data)


def terms(matcher: Matcher, text: str) -> list[str]:
    return [h.term for h in matcher.score(Item(title=text))[0].terms]


def test_latin_terms_match_whole_words_only() -> None:
    """ "drug" is not found in "drugstore" or "antidrugs", but is in "drug," and "(drug)"."""
    m = compile_topics([small_topic()])
    assert terms(m, "a drugstore and antidrugs") == []
    assert terms(m, "drug, (drug)") == ["drug"]


def test_a_trailing_star_matches_any_ending() -> None:
    """`coop*` finds cooperation and cooperate but needs the word to start there."""
    m = compile_topics([small_topic()])
    result = m.score(Item(title="cooperation cooperate uncooperative"))[0]
    assert [(h.term, h.count) for h in result.terms] == [("coop*", 2)]


def test_match_case_terms_ignore_other_cases() -> None:
    """`US` (match_case) is the country, not the pronoun "us"."""
    m = compile_topics([small_topic()])
    assert terms(m, "tell us more") == []
    assert terms(m, "the US said") == ["US"]


def test_the_longest_match_wins() -> None:
    """ "drug trafficking" counts once as itself, not also as "drug"."""
    m = compile_topics([small_topic()])
    assert terms(m, "drug trafficking") == ["drug trafficking"]


def test_chinese_terms_match_without_boundaries_and_latin_next_to_chinese() -> None:
    """禁毒 is found inside a Chinese sentence; a Latin word next to Chinese has a boundary."""
    m = compile_topics([small_topic()])
    assert terms(m, "国家禁毒委员会") == ["禁毒"]
    assert terms(m, "美国drug合作") == ["drug"]


def test_inner_wildcards_match_a_whole_inflected_phrase() -> None:
    """ "незаконн* оборот* наркотик*" spans "незаконному обороту наркотиков"."""
    m = compile_topics([small_topic()])
    assert terms(m, "противодействие незаконному обороту наркотиков") == [
        "незаконн* оборот* наркотик*"
    ]


def test_regex_terms_run_on_folded_text_with_re2() -> None:
    """A regex term is searched (case-folded) once a literal term of the topic is there."""
    m = compile_topics([small_topic()])
    result = m.score(Item(title="Drug seized in Operation Sandstorm"))[0]
    assert ("/operation [a-z]+storm/", "b") in [(h.term, h.group) for h in result.terms]


def test_html_is_stripped_before_matching() -> None:
    """Markup in the summary is dropped and entities decoded: tags do not split words."""
    m = compile_topics([small_topic()])
    result = m.score(Item(title="x", summary="<p>drug&nbsp;<b>traffick</b>ing</p>"))[0]
    assert [h.term for h in result.terms] == ["drug trafficking"]


def test_title_hits_count_more(topic: TopicSpec) -> None:
    """The same words score higher in the title than in the body."""
    m = compile_topics([topic])
    words = "Heroin seized in joint operation by China and Myanmar"
    in_title = m.score(Item(title=words, summary="Officials spoke on Monday."))[0]
    in_body = m.score(Item(title="Officials spoke on Monday.", summary=words))[0]
    assert in_title.score > in_body.score


def test_several_topics_are_scored_in_order() -> None:
    """One automaton serves every topic; scores come back in topic order."""
    other = small_topic(id="other", groups={"x": {"weight": 1.0, "terms": {"en": ["heroin"]}}})
    m = compile_topics([small_topic(), other])
    results = m.score(Item(title="heroin and drug"))
    assert m.topic_ids == ("small", "other")
    assert [r.topic for r in results] == ["small", "other"]
    assert [h.term for h in results[1].terms] == ["heroin"]
    assert m.score_for(Item(title="heroin"), "other").matched


def test_score_for_an_unknown_topic_is_a_key_error(matcher: Matcher) -> None:
    """Asking for a topic that was not compiled fails loudly."""
    with pytest.raises(KeyError):
        matcher.score_for(Item(title="x"), "nope")


def test_an_item_without_any_term_scores_zero(matcher: Matcher) -> None:
    """Nothing found: score 0, not matched, and a reason saying so."""
    result = score(matcher, "Weather: sunny spells", "Mild temperatures tomorrow.")
    assert (result.score, result.matched) == (0.0, False)
    assert result.reasons
    assert "no term" in result.reasons[0]


def test_scores_stay_within_zero_and_one(matcher: Matcher) -> None:
    """However much evidence piles up, the score is at most 1."""
    body = "UNODC joint operation heroin cooperation China Myanmar Laos. " * 30
    result = score(matcher, "UNODC joint anti-drug operation", body)
    assert 0.0 <= result.score <= 1.0
