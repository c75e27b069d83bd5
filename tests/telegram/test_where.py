"""/where: a chat follows some countries or regions, and only alerts in which one acts reach it;
/recent, /status and /stats honour them. Sent as users would, through the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.briefing.build import period_ending
from bot.drawing.messages import caption
from bot.services.briefing import Briefings
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi, parse_html
from tests.telegram.conftest import add_chat, add_source, publish, pump


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the place filters run their storage contract on both databases."""
    return sqlite_url


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


async def until(check: Callable[[], object], fake: FakeBotApi, within: float = 15.0) -> None:
    """Wait until `check()` is truthy, woken by every call the fake answers."""
    async with asyncio.timeout(within):
        while not check():
            fake.sent_event.clear()
            await fake.sent_event.wait()


async def test_where_sets_shows_and_clears_the_chats_places(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/where with names in three languages stores their keys and lists a region's countries;
    /where alone shows them, /status names them, /where off clears them."""
    add_chat(tg_store, 60)
    await fake.command("/where Central Asia, 金三角, Китай", chat_id=60)
    reply = await fake.wait_for_text(60, "Alerts only when one of these acts")
    assert parse_html(reply.text)[0] is None
    assert "Central Asia</b> (Kazakhstan, Kyrgyzstan, Tajikistan, Turkmenistan, Uzbekistan)" in (
        reply.text
    )
    assert "Golden Triangle</b> (Laos, Myanmar, Thailand)" in reply.text
    assert "<b>China</b>" in reply.text
    assert tg_store.get_chat(60).places == ("143", "GOLDEN-TRIANGLE", "CN")  # type: ignore[union-attr]

    await fake.command("/where", chat_id=60)
    await until(lambda: len(fake.messages_to(60)) == 2, fake)
    assert "Central Asia" in fake.messages_to(60)[-1].text
    await fake.command("/status", chat_id=60)
    status = await fake.wait_for_text(60, "This chat")
    assert "Places: Central Asia, Golden Triangle, China" in status.text

    await fake.command("/where off", chat_id=60)
    await fake.wait_for_text(60, "alerts from everywhere")
    assert tg_store.get_chat(60).places == ()  # type: ignore[union-attr]


async def test_unknown_place_names_the_closest_and_changes_nothing(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A misspelt or unknown name is answered with the closest names; nothing is stored, and
    the user's text comes back escaped."""
    add_chat(tg_store, 61)
    await fake.command("/where Cental Asia, <b>Narnia</b>", chat_id=61)
    reply = await fake.wait_for_text(61, "Unknown place")
    assert parse_html(reply.text)[0] is None
    assert "Unknown place <code>Cental Asia</code>. Closest: <b>Central Asia</b>" in reply.text
    assert "&lt;b&gt;Narnia&lt;/b&gt;" in reply.text
    assert "Nothing changed" in reply.text
    assert tg_store.get_chat(61).places == ()  # type: ignore[union-attr]


async def test_only_group_admins_set_places_but_anyone_sees_them(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """In a group a member may look (/where) but not change; an administrator may."""
    await fake.command("/where EU", chat_id=-300, user_id=5, chat_type="group")
    await fake.wait_for_text(-300, "Only this group's administrators")
    await fake.command("/where", chat_id=-300, user_id=5, chat_type="group")
    await fake.wait_for_text(-300, "from everywhere")
    fake.make_admin(-300, 6)
    await fake.command("/where EU", chat_id=-300, user_id=6, chat_type="group")
    await fake.wait_for_text(-300, "European Union")
    assert tg_store.get_chat(-300).places == ("EU",)  # type: ignore[union-attr]


async def test_alerts_recent_and_stats_honour_the_places(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Of two items, the chat following Central Asia gets only the one in which Kazakhstan
    acted; a chat following no places gets both. /recent lists only that one, and /stats
    counts only it and says where."""
    source = add_source(tg_store)
    add_chat(tg_store, 62)
    add_chat(tg_store, 63)
    await fake.command("/where Central Asia", chat_id=62)
    await fake.wait_for_text(62, "Alerts only when")
    publish(tg_store, source, title="Kazakhstan and Russia", key="kz", actors=("KZ", "RU"))
    publish(tg_store, source, title="China and Laos", key="cn", actors=("CN", "LA"))
    await pump(bot, lambda: len(fake.messages_to(63)) == 2)
    await pump(bot, lambda: any("Kazakhstan and Russia" in m.text for m in fake.messages_to(62)))
    alerts = [m.text for m in fake.messages_to(62)]
    assert not any("China and Laos" in text for text in alerts)

    await fake.command("/recent", chat_id=62)
    recent = await fake.wait_for_text(62, "Last 1 alerts")
    assert "Kazakhstan and Russia" in recent.text
    assert "China and Laos" not in recent.text

    await fake.command("/stats 7d", chat_id=62)
    await until(lambda: fake.photos, fake)
    caption = fake.photos[0].caption
    assert "1 matched items" in caption
    assert "Places: Central Asia" in caption
    assert "Most often together: Kazakhstan – Russia (1)" in caption


async def test_scheduled_briefing_honours_the_places(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """The briefing a chat is sent counts only the items in which one of its places acted,
    says where, and lists the pairs of those items."""
    source = add_source(tg_store)
    add_chat(tg_store, 64)
    tg_store.set_places(64, ["GOLDEN-TRIANGLE"])
    publish(tg_store, source, title="Mekong patrol", key="gt", actors=("CN", "LA", "MM", "TH"))
    publish(tg_store, source, title="Kazakh raid", key="kz", actors=("KZ", "RU"))
    now = datetime.now(UTC) + timedelta(minutes=1)
    briefing = Briefings(tg_store, lambda: now).for_chat(64, period_ending(now, 7))
    assert briefing.total == 1
    assert briefing.places == ("Golden Triangle",)
    assert {(p.a, p.b) for p in briefing.pairs} == {
        ("CN", "LA"),
        ("CN", "MM"),
        ("CN", "TH"),
        ("LA", "MM"),
        ("LA", "TH"),
        ("MM", "TH"),
    }
    assert "Golden Triangle" in caption(briefing)


async def test_too_many_or_too_long_names_are_refused_cheaply(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Forty names are refused before any is looked up; a name of 3,000 letters is unknown
    without being compared with every place's names; nothing is stored."""
    add_chat(tg_store, 65)
    await fake.command("/where " + ", ".join(["China"] * 40), chat_id=65)
    await fake.wait_for_text(65, "At most 30 places")
    await fake.command("/where " + "x" * 3000, chat_id=65)
    reply = await fake.wait_for_text(65, "Unknown place")
    assert "Closest" not in reply.text
    assert tg_store.get_chat(65).places == ()  # type: ignore[union-attr]
