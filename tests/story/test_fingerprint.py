"""Fingerprints: the same story from several outlets is a near-duplicate, other stories are not."""

from __future__ import annotations

import pytest

from bot.core.fingerprint import (
    CONTAINMENT,
    MIN_SHINGLES,
    Fingerprint,
    fingerprint,
    hamming,
    lead,
    near_duplicate,
    resemblance,
    shingles,
)
from tests.story.texts import (
    DIFFERENT_STORIES,
    MEKONG_PATROL_1,
    MEKONG_PATROL_2,
    SAME_STORY,
    XINHUA_CN_RU,
    Text,
)


def _print(text: Text) -> Fingerprint:
    return fingerprint(text.title, text.summary)


@pytest.mark.parametrize(("name", "first", "second"), SAME_STORY, ids=[n for n, _, _ in SAME_STORY])
def test_reposts_of_one_story_are_near_duplicates(name: str, first: Text, second: Text) -> None:
    """A wire story and its reposts (new headline, trimmed or lightly edited summary) match."""
    a, b = fingerprint(first.title, first.summary), fingerprint(second.title, second.summary)
    assert near_duplicate(a, b)
    assert near_duplicate(b, a)


@pytest.mark.parametrize(
    ("name", "first", "second"), DIFFERENT_STORIES, ids=[n for n, _, _ in DIFFERENT_STORIES]
)
def test_different_stories_on_one_topic_are_not(name: str, first: Text, second: Text) -> None:
    """Two stories sharing the topic's vocabulary (two SCO meetings, two patrols) stay apart."""
    a, b = fingerprint(first.title, first.summary), fingerprint(second.title, second.summary)
    assert not near_duplicate(a, b)
    assert not near_duplicate(b, a)


def test_the_threshold_keeps_a_margin_on_both_sides() -> None:
    """Every same-story pair scores at least 0.08 above the threshold, every other pair below."""
    same = [
        resemblance(fingerprint(a.title, a.summary), fingerprint(b.title, b.summary))
        for _, a, b in SAME_STORY
    ]
    different = [
        resemblance(fingerprint(a.title, a.summary), fingerprint(b.title, b.summary))
        for _, a, b in DIFFERENT_STORIES
    ]
    assert min(same) >= CONTAINMENT + 0.08
    assert max(different) <= CONTAINMENT - 0.08


def test_boilerplate_heavy_stories_are_the_closest_non_pair() -> None:
    """The patrol reports share much boilerplate yet score well under the threshold."""
    score = resemblance(
        fingerprint(MEKONG_PATROL_1.title, MEKONG_PATROL_1.summary),
        fingerprint(MEKONG_PATROL_2.title, MEKONG_PATROL_2.summary),
    )
    assert 0.4 < score < CONTAINMENT


def test_punctuation_and_case_do_not_change_the_fingerprint() -> None:
    """Headline punctuation, case and NFKC variants (full-width letters) give the same shingles."""
    plain = fingerprint("China, Russia agree to deepen anti-drug cooperation")
    loud = fingerprint("ＣＨＩＮＡ & RUSSIA AGREE TO DEEPEN ANTI—DRUG COOPERATION!!")
    assert loud == plain
    assert fingerprint("China: Russia agree to deepen anti-drug cooperation.") == plain
    assert (
        plain.simhash == fingerprint("china russia agree to deepen anti drug cooperation").simhash
    )


def test_shingles_are_word_triples_and_cjk_character_triples() -> None:
    """Latin and Cyrillic text is cut into three-word runs, CJK text into three-character runs."""
    assert shingles("Joint anti-drug patrol") == ["joint anti drug", "anti drug patrol"]
    assert shingles("Совместный рейд МВД и ФСБ") == [
        "совместный рейд мвд",
        "рейд мвд и",
        "мвд и фсб",
    ]
    assert shingles("中俄禁毒合作") == ["中俄禁", "俄禁毒", "禁毒合", "毒合作"]
    assert shingles("上合组织SCO禁毒") == ["上合组", "合组织", "sco", "禁毒"]


def test_short_texts_never_merge() -> None:
    """A headline of a few words has too few shingles to tell stories apart: never a duplicate."""
    short = fingerprint("Anti-drug cooperation talks held")
    assert len(short.shingles) < MIN_SHINGLES
    assert not near_duplicate(short, short)


def test_identical_title_only_items_merge() -> None:
    """Two title-only items (HTML sources) with the same full headline are one story."""
    title = "China and Myanmar hold joint anti-drug operation on the Mekong River"
    assert near_duplicate(fingerprint(title), fingerprint(title.upper() + "!"))


def test_only_the_lead_of_a_long_body_counts() -> None:
    """A full article and its first paragraph as the summary are the same story."""
    article = XINHUA_CN_RU.summary + " " + " ".join(f"paragraph{n} word" for n in range(400))
    assert len(lead(article).split()) <= 160
    full = fingerprint(XINHUA_CN_RU.title, content=article)
    summary_only = fingerprint(XINHUA_CN_RU.title, XINHUA_CN_RU.summary)
    assert near_duplicate(full, summary_only)


def test_simhash_is_a_signed_64_bit_integer_close_for_reposts() -> None:
    """The stored SimHash fits a signed BIGINT; reposts differ in fewer bits than other stories."""
    values = [fingerprint(a.title, a.summary).simhash for _, a, _ in SAME_STORY + DIFFERENT_STORIES]
    assert all(-(2**63) <= value < 2**63 for value in values)
    same = [hamming(_print(a).simhash, _print(b).simhash) for _, a, b in SAME_STORY]
    assert max(same) <= 20
    assert fingerprint("").simhash == 0
