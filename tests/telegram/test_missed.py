"""/missed through the fake Bot API: /search offers it on the items a chat's topics did not
match, a tap stores one report per user, and every wrong use is answered with what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.models import TopicScore
from bot.storage.history import feedback_by_topic, judged_items
from bot.storage.tables import ITEM, MISS_REPORT
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.callbacks import STALE
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi
from tests.telegram.conftest import TOPIC, add_chat, add_source, utc_now
from tests.telegram.test_search import store_items

MATCHED = (TopicScore(topic=TOPIC, score=0.87, matched=True),)
OTHER = (TopicScore(topic="other", score=0.7, matched=True),)


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Command replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


def item_id(store: TelegramStore, key: str) -> int:
    with store.engine.connect() as conn:
        found: int = conn.execute(select(ITEM.c.id).where(ITEM.c.key == key)).scalar_one()
    return found


def reports(store: TelegramStore) -> list[tuple[int, str, int, int]]:
    r = MISS_REPORT.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(r.item_id, r.topic, r.chat_id, r.user_id).order_by(r.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_search_offers_missed_and_a_tap_teaches_the_topic(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A subscribed chat's search results end each item its topic did not match with a
    tappable /missed_ID (also an item that matched another topic); tapping it stores one
    report per user, which training then reads as a relevant item of the topic."""
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [("hit", "Joint anti-drug patrol on the Mekong")], matches=MATCHED)
    store_items(tg_store, wire, [("miss", "Mekong partners meet on narcotics")])
    store_items(tg_store, wire, [("else", "Mekong shipping talks")], matches=OTHER)
    miss, hit, other = (item_id(tg_store, k) for k in ("miss", "hit", "else"))
    add_chat(tg_store, 71)

    await fake.command("/search mekong", chat_id=71)
    by_line = (await fake.wait_for_text(71, "🔎")).text
    assert "3 stored items" in by_line
    assert f"· not matched · /missed_{miss}" in by_line
    assert f"· ✅ other 0.70 · /missed_{other}" in by_line
    assert f"/missed_{hit}" not in by_line
    assert f"✅ {TOPIC} 0.87" in by_line

    await fake.command(f"/missed_{miss}", chat_id=71, user_id=5)
    noted = await fake.wait_for_text(71, "Noted")
    assert noted.text.startswith(f"Noted: item {miss} is about <b>{TOPIC}</b>.")
    await fake.command(f"/missed {miss}", chat_id=71, user_id=5)
    assert "already" in (await fake.wait_for_text(71, "already")).text
    await fake.command(f"/missed_{miss}", chat_id=71, user_id=6)
    await fake.wait_for(lambda sent: sum("Noted" in m.text for m in sent) == 2, 10.0)
    assert reports(tg_store) == [(miss, TOPIC, 71, 5), (miss, TOPIC, 71, 6)]

    judged = judged_items(tg_store.engine, topic=TOPIC)
    assert [(j.key, j.item.title, j.relevant) for j in judged] == [
        (f"missed:{miss}", "Mekong partners meet on narcotics", True)
    ]
    (tally,) = feedback_by_topic(tg_store.engine)
    assert (tally.topic, tally.missed, tally.relevant + tally.not_relevant) == (TOPIC, 1, 0)


async def test_a_group_member_taps_missed_with_the_bots_name(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """In a group Telegram adds @botname to a tapped command; any member may report."""
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [("g", "Regional narcotics meeting")])
    add_chat(tg_store, -1007, chat_type="supergroup")
    target = item_id(tg_store, "g")
    await fake.command(
        f"/missed_{target}@narcowatch_bot", chat_id=-1007, user_id=8, chat_type="supergroup"
    )
    await fake.wait_for_text(-1007, "Noted")
    assert reports(tg_store) == [(target, TOPIC, -1007, 8)]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/missed", "Usage: /missed &lt;item&gt; [topic]"),
        ("/missed abc", "Usage: /missed"),
        ("/missed ²", "Usage: /missed"),
        ("/missed 1 2 3", "Usage: /missed"),
        ("/missed 99999999", "No stored item 99999999"),
        ("/missed {hit}", "matched drug-control-cooperation: judge its alert"),
        ("/missed {miss} other", "does not follow other; it follows drug-control-cooperation"),
        ("/missed {miss} <b>x</b>", "does not follow &lt;b&gt;x&lt;/b&gt;"),
    ],
)
async def test_wrong_uses_are_answered_and_store_nothing(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, text: str, answer: str
) -> None:
    """A bad id, an unknown item, an item the topic matched or a topic the chat does not
    follow: the reply says which, and no report is stored."""
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [("hit", "Joint patrol")], matches=MATCHED)
    store_items(tg_store, wire, [("miss", "Partners meet")])
    add_chat(tg_store, 72)
    ids = {"hit": item_id(tg_store, "hit"), "miss": item_id(tg_store, "miss")}
    await fake.command(text.format(**ids), chat_id=72)
    reply = await fake.wait_for_text(72, answer.format(**ids))
    assert reply.text
    assert reports(tg_store) == []


async def test_a_chat_following_no_topic_or_several_is_told_what_to_do(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """No topic followed: /topics. Several the item did not match: a button (and a command)
    per topic; the one pressed is stored, and a forged button is answered as stale."""
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [("m", "Border officials talk")])
    target = item_id(tg_store, "m")
    await fake.command(f"/missed_{target}", chat_id=73)
    await fake.wait_for_text(73, "This chat follows no topic yet: see /topics.")

    add_chat(tg_store, 74)
    tg_store.subscribe(74, "other", now=utc_now() - timedelta(seconds=1))
    await fake.command(f"/missed_{target}", chat_id=74)
    choice = await fake.wait_for_text(74, "Which topic")
    assert choice.text.splitlines()[1:] == [
        f"/missed {target} {TOPIC}",
        f"/missed {target} other",
    ]
    buttons = [b for row in (choice.reply_markup or {})["inline_keyboard"] for b in row]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        (TOPIC, f"mi:{target}:{TOPIC}"),
        ("other", f"mi:{target}:other"),
    ]
    await fake.press(f"mi:{target}:other", chat_id=74, user_id=12)
    await fake.wait_for_text(74, "Noted: item")
    await fake.command(f"/missed {target} {TOPIC}", chat_id=74)
    await fake.wait_for(lambda sent: sum("Noted" in m.text for m in sent) == 2, 10.0)
    assert reports(tg_store) == [(target, "other", 74, 12), (target, TOPIC, 74, 74)]
    await fake.press("mi:nonsense", chat_id=74)
    await fake.wait_for(lambda _: any(a.get("text") == STALE for a in fake.callback_answers), 10.0)


async def test_one_user_reports_at_most_the_daily_cap(
    bot: TelegramRuntime,
    fake: FakeBotApi,
    tg_store: TelegramStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No single account can swamp the training data: past the cap in 24 hours a report is
    refused and not stored; another user still may."""
    monkeypatch.setattr("bot.services.misses.DAILY_REPORTS", 2)
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [(f"c{n}", f"Talks number {n}") for n in range(3)])
    add_chat(tg_store, 75)
    first, second, third = (item_id(tg_store, f"c{n}") for n in range(3))
    for target in (first, second, third):
        await fake.command(f"/missed_{target}", chat_id=75, user_id=9)
    await fake.wait_for_text(75, "You have reported 2 items in the last 24 hours")
    await fake.command(f"/missed_{third}", chat_id=75, user_id=10)
    await fake.wait_for(lambda sent: sum("Noted" in m.text for m in sent) == 3, 10.0)
    assert reports(tg_store) == [
        (first, TOPIC, 75, 9),
        (second, TOPIC, 75, 9),
        (third, TOPIC, 75, 10),
    ]
