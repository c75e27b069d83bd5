"""/borderline through the fake Bot API, scored by the real default topic: the unmatched stored
items closest to matching the chat's topics, best first, each with its /missed; what matched,
scores nothing, is older than the period or comes from a muted source is left out."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.models import Item, TopicScore
from bot.matching import Matcher, compile_topics, load_topic
from bot.search.hits import SearchHit
from bot.services.borderline import SHOWN, closest
from bot.services.ports import PollSuccess, Scorer, StoredEntry
from bot.storage.tables import ITEM
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi
from tests.telegram.conftest import (
    TOPIC,
    add_chat,
    add_source,
    utc_now,
)

DEFAULT_TOPIC = Path(__file__).parents[2] / "config" / "topics" / f"{TOPIC}.yaml"

STORIES = {
    "near-1": (
        "Ministers discuss narcotics along the border",
        "Officials from Laos and Thailand met in Vientiane to talk about heroin seizures.",
    ),
    "near-2": (
        "Police seize cocaine in port raid",
        "Customs officers found cocaine in a container.",
    ),
    "near-3": (
        "Regional security dialogue opens",
        "Delegations from Kazakhstan and Kyrgyzstan discussed border crime and smuggling.",
    ),
    "nothing": ("Rice prices rise", "Prices of rice and vegetables rose in the third quarter."),
}


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Command replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_topics([load_topic(DEFAULT_TOPIC, env={})])


@pytest.fixture
def scorer(matcher: Matcher) -> Scorer:
    """The bot scores with the real default topic."""
    return matcher


def store(
    tg_store: TelegramStore,
    source_id: int,
    key: str,
    title: str,
    summary: str,
    *,
    matches: tuple[TopicScore, ...] = (),
    days_ago: float = 0,
) -> int:
    """Store one item as a poll `days_ago` days back would; its id."""
    now = utc_now() - timedelta(days=days_ago)
    entry = StoredEntry(
        key=key,
        canonical_link=f"https://news.example/{key}",
        title_hash=hashlib.sha256(title.encode()).hexdigest(),
        item=Item(title=title, summary=summary, link=f"https://news.example/{key}", lang="en"),
        matches=matches,
    )
    tg_store.save_poll(source_id, PollSuccess(now=now, next_poll_at=now), [entry], alert=True)
    with tg_store.engine.connect() as conn:
        found: int = conn.execute(select(ITEM.c.id).where(ITEM.c.key == key)).scalar_one()
    return found


async def test_borderline_lists_the_closest_unmatched_items_best_first(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, matcher: Matcher
) -> None:
    """The unmatched items of the period that score above 0 on the chat's topic, highest
    first, each with its score and /missed_ID; a stored match, an item scoring nothing, one
    older than the period and one from a muted source are not listed."""
    wire, muted = add_source(tg_store, "Wire"), add_source(tg_store, "Muted")
    ids = {key: store(tg_store, wire, key, *story) for key, story in STORIES.items()}
    matched = (TopicScore(topic=TOPIC, score=0.9, matched=True),)
    store(tg_store, wire, "hit", *STORIES["near-1"], matches=matched)
    store(tg_store, wire, "old", "Old: " + STORIES["near-1"][0], STORIES["near-1"][1], days_ago=9)
    store(tg_store, muted, "quiet", "Muted: " + STORIES["near-2"][0], STORIES["near-2"][1])
    add_chat(tg_store, 81)
    assert tg_store.mute_source(81, muted)

    expected = []
    for key in ("near-1", "near-2", "near-3", "nothing"):
        title, summary = STORIES[key]
        (score,) = matcher.score(Item(title=title, summary=summary, lang="en"))
        if score.score > 0 and not score.matched:
            expected.append((score.score, ids[key], title))
    expected.sort(key=lambda e: (-e[0], -e[1]))
    assert len(expected) >= 2  # the stories are near enough to rank

    await fake.command("/borderline", chat_id=81)
    reply = await fake.wait_for_text(81, "🔍")
    lines = reply.text.splitlines()
    assert lines[0].startswith("🔍 Closest to matching in the last 7d, not matched (")
    listed = lines[1::2]
    details = lines[2::2]
    assert [line.split(">")[1].split("<")[0] for line in listed] == [t for _, _, t in expected]
    assert details == [
        f"   {utc_now():%Y-%m-%d} · Wire · {TOPIC} {score:.2f} · /missed_{item}"
        for score, item, _ in expected
    ]
    assert "Old:" not in reply.text
    assert "Muted:" not in reply.text


async def test_borderline_answers_every_wrong_use(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A bad period or no topic followed: the reply says which; an empty period says so."""
    add_chat(tg_store, 82)
    await fake.command("/borderline soon", chat_id=82)
    await fake.wait_for_text(82, "Usage: /borderline [Nd]")
    await fake.command("/borderline 0d", chat_id=82)
    await fake.wait_for_text(82, "The period is 1d to 90d.")
    await fake.command("/borderline 91d", chat_id=82)
    await fake.wait_for(lambda s: sum("1d to 90d" in m.text for m in s if m.chat_id == 82) == 2, 10)
    await fake.command("/borderline 30d", chat_id=82)
    await fake.wait_for_text(82, "Nothing unmatched in the last 30d came near your topics")
    await fake.command("/borderline", chat_id=83)
    await fake.wait_for_text(83, "This chat follows no topic yet: see /topics.")


@pytest.mark.parametrize("scorer", [None])
async def test_without_a_scorer_borderline_says_so(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A bot run without the daemon's matcher answers instead of failing."""
    add_chat(tg_store, 84)
    await fake.command("/borderline", chat_id=84)
    await fake.wait_for_text(84, "Scoring is not available")


class TableScorer:
    """Scores from a table: title -> {topic: (score, matched)}."""

    def __init__(self, table: dict[str, dict[str, tuple[float, bool]]]) -> None:
        self.table = table

    def score(self, item: Item) -> list[TopicScore]:
        return [
            TopicScore(topic=topic, score=score, matched=hit)
            for topic, (score, hit) in self.table[item.title].items()
        ]

    def score_many(
        self, items: Sequence[Item], *, explain_unmatched: bool = True
    ) -> list[list[TopicScore]]:
        return [self.score(item) for item in items]


def test_closest_keeps_the_best_open_topic_and_at_most_shown_items() -> None:
    """Per item the highest score on a followed topic it does not match; items matching now,
    scoring 0 or only on topics not followed are left out; best first, newer first among
    equals, SHOWN at the most."""
    table: dict[str, dict[str, tuple[float, bool]]] = {
        f"t{n}": {"a": (n / 100, False), "b": (n / 200, False)} for n in range(1, 16)
    }
    table["t15"]["a"] = (0.9, True)  # matches "a" now: its open topic is "b"
    table["zero"] = {"a": (0.0, False)}
    table["elsewhere"] = {"c": (0.5, False)}
    table["tie"] = {"a": (0.10, False)}
    titles = [*table]
    candidates = [
        (
            SearchHit(
                item_id=n,
                title=title,
                link=None,
                source="s",
                source_id=1,
                published=None,
                fetched_at=utc_now(),
            ),
            Item(title=title),
        )
        for n, title in enumerate(titles, start=1)
    ]
    near = closest(candidates, TableScorer(table), ["a", "b"])
    assert len(near) == SHOWN
    assert [(n.hit.title, n.topic, n.score) for n in near] == [
        ("t14", "a", 0.14),
        ("t13", "a", 0.13),
        ("t12", "a", 0.12),
        ("t11", "a", 0.11),
        ("tie", "a", 0.10),  # as high as t10, and newer (a higher id)
        ("t10", "a", 0.10),
        ("t9", "a", 0.09),
        ("t8", "a", 0.08),
        ("t15", "b", 0.075),  # matches "a" now: ranked by "b"
        ("t7", "a", 0.07),
    ]
    assert not {"zero", "elsewhere"} & {n.hit.title for n in near}
    assert closest(candidates[15:17], TableScorer(table), ["a", "b"]) == []  # zero, elsewhere
    (only,) = closest(candidates[14:15], TableScorer(table), ["a", "b"])
    assert (only.hit.title, only.topic, only.score, only.item.title) == ("t15", "b", 0.075, "t15")
