"""Grouping a period's matched items into stories, and ranking them."""

from __future__ import annotations

from bot.briefing.stories import common_words, group_stories, title_words
from tests.briefing.conftest import row

CN, MM = ("China", "country"), ("Myanmar", "country")
TH, LA = ("Thailand", "country"), ("Laos", "country")
UNODC, SCO = ("UNODC", "organisation"), ("SCO", "organisation")


def test_near_duplicates_stay_one_story_whatever_their_entities() -> None:
    """Items the alert path already put in one story (story_id) stay together."""
    stories = group_stories(
        [
            row(1, "Mekong patrol seizes meth", source="A", story_id=1),
            row(2, "Patrol on the Mekong seizes methamphetamine", source="B", story_id=1),
        ]
    )
    assert [(s.items, s.sources) for s in stories] == [(2, ("A", "B"))]


def test_same_entities_and_title_words_join_within_72_hours() -> None:
    """Two outlets' own write-ups of one event share entities and key title words."""
    stories = group_stories(
        [
            row(
                1,
                "Mekong patrol: China and Myanmar seize methamphetamine",
                source="A",
                entities=[CN, MM, UNODC],
                hours_ago=50,
            ),
            row(
                2,
                "Myanmar, China police seize record methamphetamine haul in Mekong patrol",
                source="B",
                entities=[CN, MM],
                hours_ago=10,
            ),
        ]
    )
    assert len(stories) == 1
    assert stories[0].sources == ("A", "B")
    assert stories[0].title.startswith("Mekong patrol")  # the first item names the story


def test_items_more_than_72_hours_apart_are_separate_stories() -> None:
    """A story that comes back days later is counted again."""
    stories = group_stories(
        [
            row(1, "Mekong patrol seizes methamphetamine haul", entities=[CN, MM], hours_ago=100),
            row(
                2,
                "Mekong patrol seizes methamphetamine haul again",
                source="B",
                entities=[CN, MM],
                hours_ago=20,
            ),
        ]
    )
    assert len(stories) == 2


def test_same_countries_but_different_events_stay_apart() -> None:
    """China and Myanmar in two titles that share no key words are two stories."""
    stories = group_stories(
        [
            row(1, "Mekong patrol seizes methamphetamine haul", entities=[CN, MM]),
            row(2, "Border talks on opium substitution crops", source="B", entities=[CN, MM]),
        ]
    )
    assert len(stories) == 2


def test_entity_names_and_topic_terms_in_titles_are_not_shared_key_words() -> None:
    """Two different reports whose titles share only "China", "Myanmar" and the topic's
    words ("anti-drug", 禁毒, 合作) stay apart, in English and in Chinese."""
    english = group_stories(
        [
            row(1, "China, Myanmar hold anti-drug talks", entities=[CN, MM]),
            row(
                2, "China and Myanmar anti-drug police seize heroin", source="B", entities=[CN, MM]
            ),
        ]
    )
    chinese = group_stories(
        [
            row(
                1,
                "中缅禁毒合作会议在昆明举行",
                lang="zh",
                entities=[CN, MM],
                terms=("禁毒", "合作"),
            ),
            row(
                2,
                "中缅警方开展禁毒合作联合行动",
                lang="zh",
                source="B",
                entities=[CN, MM],
                terms=("禁毒", "合作"),
            ),
        ]
    )
    assert len(english) == 2
    assert len(chinese) == 2


def test_languages_join_when_entity_names_make_the_link() -> None:
    """A Chinese and an English report naming the same three bodies are one story."""
    stories = group_stories(
        [
            row(
                1,
                "SCO and UNODC back anti-drug centre in Dushanbe",
                source="UN News",
                entities=[SCO, UNODC, ("Tajikistan", "country")],
                hours_ago=30,
            ),
            row(
                2,
                "上合组织与联合国毒罪办支持杜尚别禁毒中心",
                source="Xinhua",
                lang="zh",
                entities=[SCO, UNODC, ("Tajikistan", "country")],
                hours_ago=20,
            ),
        ]
    )
    assert len(stories) == 1
    assert stories[0].langs == ("en", "zh")


def test_two_shared_entities_do_not_join_languages() -> None:
    """Across languages, two shared names (China, Myanmar) are too common to link on."""
    stories = group_stories(
        [
            row(1, "Mekong patrol seizes methamphetamine", entities=[CN, MM]),
            row(2, "中缅禁毒合作会议举行", lang="zh", source="B", entities=[CN, MM]),
        ]
    )
    assert len(stories) == 2


def test_items_join_the_first_item_not_a_chain_of_neighbours() -> None:
    """A like B and B like C does not put A and C together when A and C differ."""
    stories = group_stories(
        [
            row(1, "Mekong patrol seizes methamphetamine", entities=[CN, MM], hours_ago=60),
            row(
                2,
                "Mekong patrol seizes methamphetamine near Laos border",
                source="B",
                entities=[CN, MM, LA],
                hours_ago=40,
            ),
            row(
                3,
                "Laos border police train with Thailand",
                source="C",
                entities=[LA, TH, CN],
                hours_ago=30,
            ),
        ]
    )
    assert [s.items for s in stories] == [2, 1]


def test_ranked_by_distinct_sources_then_score() -> None:
    """More outlets first; among equals, the higher score; one outlet twice counts once."""
    stories = group_stories(
        [
            row(1, "Alpha", source="A", score=0.9),
            row(2, "Beta", source="A", story_id=2, score=0.5),
            row(3, "Beta again", source="B", story_id=2, score=0.5),
            row(4, "Gamma", source="A", story_id=4, score=0.6),
            row(5, "Gamma again", source="A", story_id=4, score=0.6),
            row(6, "Delta", source="C", score=0.95),
        ]
    )
    assert [s.title for s in stories] == ["Beta", "Delta", "Alpha", "Gamma"]
    assert [len(s.sources) for s in stories] == [2, 1, 1, 1]


def test_an_item_matching_two_topics_is_one_item() -> None:
    """The same item under two topics counts once, with its better score."""
    stories = group_stories([row(1, "Alpha", score=0.6), row(1, "Alpha", score=0.9, topic="other")])
    assert [(s.items, s.score) for s in stories] == [(1, 0.9)]


def test_title_words_and_the_periods_common_words() -> None:
    """Long words and CJK pairs count; words in most of the period's titles do not."""
    assert title_words("China and Russia sign anti-drug deal after talks") == {
        "china",
        "russia",
        "sign",
        "anti",
        "drug",
        "deal",
        "talks",
    }
    assert title_words("中缅禁毒合作") == {"中缅", "缅禁", "禁毒", "毒合", "合作"}
    titles = [
        title_words(f"Drug cooperation word{chr(97 + n % 26)}{chr(97 + n // 26)}")
        for n in range(40)
    ]
    assert common_words(titles) == {"drug", "cooperation"}
    assert common_words(titles[:10]) == set()  # too few titles to call any word common


def test_topic_words_shared_by_every_title_do_not_make_a_story() -> None:
    """Forty items that all say "anti-drug cooperation" and name China and Russia, and
    nothing else in common, stay forty stories."""
    rows = [
        row(
            n,
            f"China Russia anti-drug cooperation: {word} {n}",
            source=f"S{n}",
            entities=[CN, ("Russia", "country")],
            hours_ago=n,
        )
        for n, word in enumerate(["budget", "weather", "election", "football"] * 10)
    ]
    assert len(group_stories(rows)) == 40
