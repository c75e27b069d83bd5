"""Hostile command arguments and forged buttons get a clear answer, never "Sorry, that failed"."""

from __future__ import annotations

import pytest

from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi
from tests.support.telegram_html import assert_valid_message
from tests.telegram.conftest import add_chat, add_source, publish, pump


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: SQLite is the back end whose integers overflowed."""
    return sqlite_url


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Command replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/why 99999999999999999999", "Usage"),
        ("/why 9223372036854775807", "No alert #9223372036854775807"),
        ("/why ²", "Usage"),
        ("/why ٣", "Usage"),
        ("/why -1", "Usage"),
        ("/recent ²", "Usage"),
        ("/recent 99999999999999999999999", "Usage"),
        ("/mute " + "9" * 400 + "h", "Usage"),
        ("/mute 400d", "at most 366d"),
        ("/threshold nan", "Usage"),
        ("/threshold 1e999", "Usage"),
    ],
)
async def test_hostile_arguments_get_a_clear_answer(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, command: str, answer: str
) -> None:
    """Overflowing, non-ASCII and infinite numbers are refused with the usage line."""
    add_chat(tg_store, 60)
    await fake.command(command, chat_id=60)
    reply = await fake.wait_for_text(60, answer)
    assert "Sorry" not in reply.text
    assert tg_store.get_chat(60).muted_until is None  # type: ignore[union-attr]


@pytest.mark.parametrize("command", ["/pausesource 99999999999999999999", "/rmsource ²"])
async def test_hostile_source_ids_get_the_usage(
    bot: TelegramRuntime, fake: FakeBotApi, command: str
) -> None:
    """Admin commands check their ids the same way."""
    from tests.telegram.conftest import ADMIN_ID

    await fake.command(command, chat_id=ADMIN_ID)
    reply = await fake.wait_for_text(ADMIN_ID, "Usage")
    assert "Sorry" not in reply.text


async def test_recent_twenty_long_alerts_fits_one_message(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/recent 20 over alerts with long escaped titles and links stays one valid message."""
    add_chat(tg_store, 61)
    long_title = "Cooperation & <anti-drug> " * 20
    publish(tg_store, add_source(tg_store), 20, title=long_title)  # listed while pending
    await fake.command("/recent 20", chat_id=61)
    reply = await fake.wait_for_text(61, "of 20 alerts</b> (the rest did not fit)")
    assert_valid_message(reply.text)
    shown = int(reply.text.split("<b>Last ", 1)[1].split(" ", 1)[0])
    assert 10 <= shown < 20
    assert reply.text.count("/why ") == shown


async def test_forged_feedback_buttons_are_refused(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Feedback counts only for a match delivered to the pressing chat; unknown ids too."""
    add_chat(tg_store, 62)
    publish(tg_store, add_source(tg_store), 1)
    await pump(bot, lambda: len(fake.messages_to(62)) == 1)
    keyboard = fake.messages_to(62)[0].reply_markup["inline_keyboard"]  # type: ignore[index]
    relevant = keyboard[0][0]["callback_data"]
    match_id = int(relevant.split(":")[2])
    for data, chat in (
        (relevant, 63),  # another chat replays the button
        ("fb:r:999999", 62),  # no such match
        ("fb:r:99999999999999999999", 62),  # overflows the database's integers
        ("fb:r:²", 62),
        ("ms:99999999999999999999", 62),
    ):
        await fake.press(data, chat_id=chat)
    await fake.wait_for(lambda s: len(fake.callback_answers) >= 5)
    assert all("no longer works" in a.get("text", "") for a in fake.callback_answers)
    assert tg_store.feedback_counts(match_id) == {"relevant": 0, "not_relevant": 0}
    await fake.press(relevant, chat_id=62)
    await fake.wait_for(lambda s: len(fake.callback_answers) >= 6)
    assert tg_store.feedback_counts(match_id)["relevant"] == 1


@pytest.mark.parametrize(
    "given",
    ["Europe", "x" * 300, "tzdata.zi", "zone1970.tab", "Europe/", "../etc/passwd", "Mars/Olympus"],
)
async def test_quiet_with_a_name_that_is_no_time_zone_gets_the_usage(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, given: str
) -> None:
    """A folder of the zone database, one of its data files, a path or a 300-character name:
    "Unknown time zone" with the usage line, and nothing stored."""
    add_chat(tg_store, 63)
    await fake.command(f"/quiet 22:00-07:00 {given}", chat_id=63)
    reply = await fake.wait_for_text(63, "Usage: /quiet")
    assert "Unknown time zone" in reply.text
    assert_valid_message(reply.text)
    assert tg_store.get_chat(63).quiet_start is None  # type: ignore[union-attr]


async def test_quiet_takes_a_zone_name_in_any_case(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """`europe/berlin` is stored as the database spells it, `Europe/Berlin`."""
    add_chat(tg_store, 64)
    await fake.command("/quiet 22:00-07:00 europe/berlin", chat_id=64)
    await fake.wait_for_text(64, "Quiet hours 22:00-07:00 (Europe/Berlin)")
    chat = tg_store.get_chat(64)
    assert chat is not None
    assert (chat.quiet_start, chat.quiet_end, chat.timezone) == (1320, 420, "Europe/Berlin")


async def test_forged_mute_source_buttons_store_nothing(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A mute button for a source id that no source has is answered as stale and stores
    nothing, however many are pressed; the real button still mutes."""
    add_chat(tg_store, 65)
    source = add_source(tg_store)
    forged = [source + 1, source + 1000, 2**31, 2**40]
    for source_id in forged * 5:
        await fake.press(f"ms:{source_id}", chat_id=65)
    await fake.wait_for(lambda s: len(fake.callback_answers) >= len(forged) * 5)
    assert all("no longer works" in a.get("text", "") for a in fake.callback_answers)
    assert tg_store.get_chat(65).muted_sources == ()  # type: ignore[union-attr]
    await fake.press(f"ms:{source}", chat_id=65)
    await fake.wait_for(lambda s: len(fake.callback_answers) > len(forged) * 5)
    assert "Muted" in fake.callback_answers[-1]["text"]
    assert tg_store.get_chat(65).muted_sources == (source,)  # type: ignore[union-attr]
