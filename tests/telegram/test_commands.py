"""Chat commands and buttons, sent as users would through the fake Bot API."""

from __future__ import annotations

import pytest

from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi
from tests.telegram.conftest import TOPIC, add_chat, add_source, publish, pump


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: these tests are about Telegram; the store runs its contract on both."""
    return sqlite_url


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Command replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


def topics_of(store: TelegramStore, chat_id: int) -> list[tuple[str, int | None]]:
    return [(s.topic, s.message_thread_id) for s in store.subscriptions_of(chat_id)]


async def test_start_explains_and_offers_topic_buttons(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/start registers the chat and answers with one subscribe button per topic."""
    await fake.command("/start", chat_id=42)
    message = await fake.wait_for_text(42, "narcowatch")
    assert message.reply_markup is not None
    data = [b["callback_data"] for row in message.reply_markup["inline_keyboard"] for b in row]
    assert data == [f"sub:{TOPIC}", "sub:other"]
    assert tg_store.get_chat(42) is not None
    assert [c["command"] for c in fake.commands][:3] == ["start", "help", "topics"]


async def test_topic_button_subscribes(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/subscribe without a topic shows the buttons; pressing one subscribes the chat."""
    await fake.command("/subscribe", chat_id=43)
    await fake.wait_for_text(43, "Pick a topic")
    await fake.press(f"sub:{TOPIC}", chat_id=43)
    await fake.wait_for_text(43, "Subscribed to")
    assert topics_of(tg_store, 43) == [(TOPIC, None)]
    assert fake.callback_answers[-1]["text"] == "Done"


async def test_bad_arguments_get_the_usage_line(bot: TelegramRuntime, fake: FakeBotApi) -> None:
    """Wrong arguments are answered with the command's usage, and the bot keeps working."""
    bad = ("/threshold 2", "/mute soon", "/digest weekly", "/why abc", "/recent 0", "/quiet 9-5")
    for chat_id, text in enumerate(bad, start=4400):
        await fake.command(text, chat_id=chat_id)
    await fake.wait_for(lambda s: sum("Usage:" in m.text for m in s) == len(bad))
    await fake.command("/subscribe nonsense", chat_id=44)
    message = await fake.wait_for_text(44, "Unknown topic")
    assert TOPIC in message.text


async def test_settings_commands_change_the_chat(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/threshold, /mute, /unmute, /digest and /quiet store the chat's preferences."""
    for text in ("/threshold 0.7", "/mute 2h", "/digest daily", "/quiet 22:00-07:00 Europe/Berlin"):
        before = len(fake.sent)
        await fake.command(text, chat_id=45)
        await fake.wait_for(lambda s, n=before: len(s) > n)
    chat = tg_store.get_chat(45)
    assert chat is not None
    assert chat.threshold == 0.7
    assert chat.muted_until is not None
    assert chat.digest == "daily"
    assert (chat.quiet_start, chat.quiet_end, chat.timezone) == (1320, 420, "Europe/Berlin")
    await fake.command("/unmute", chat_id=45)
    await fake.wait_for_text(45, "resumed")
    assert tg_store.get_chat(45).muted_until is None  # type: ignore[union-attr]


async def test_only_group_admins_change_group_settings(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """In a group a member is refused; an administrator (per getChatMember) may subscribe."""
    await fake.command(f"/subscribe {TOPIC}", chat_id=-100, user_id=5, chat_type="group")
    await fake.wait_for_text(-100, "Only this group's administrators")
    assert topics_of(tg_store, -100) == []
    fake.make_admin(-100, 6)
    await fake.command(f"/subscribe {TOPIC}", chat_id=-100, user_id=6, chat_type="group")
    await fake.wait_for_text(-100, "Subscribed")
    assert topics_of(tg_store, -100) == [(TOPIC, None)]
    assert any(method == "getChatMember" for method, _ in fake.calls)


async def test_forum_topic_subscription_remembers_the_thread(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/subscribe inside a forum topic stores its thread, and the reply goes to that thread."""
    fake.make_admin(-200, 8)
    await fake.command(
        f"/subscribe {TOPIC}",
        chat_id=-200,
        user_id=8,
        chat_type="supergroup",
        thread_id=77,
        forum=True,
    )
    reply = await fake.wait_for_text(-200, "in this thread")
    assert reply.thread_id == 77
    assert topics_of(tg_store, -200) == [(TOPIC, 77)]


async def test_feedback_and_mute_source_buttons(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Relevant / not relevant is stored per user; "mute this source" mutes it for the chat."""
    add_chat(tg_store, 46)
    source = add_source(tg_store)
    publish(tg_store, source, 1)
    await pump(bot, lambda: len(fake.messages_to(46)) == 1)
    keyboard = fake.messages_to(46)[0].reply_markup["inline_keyboard"]  # type: ignore[index]
    relevant, mute = keyboard[0][0]["callback_data"], keyboard[1][0]["callback_data"]
    await fake.press(relevant, chat_id=46)
    await fake.press(mute, chat_id=46)
    await fake.wait_for(lambda s: len(fake.callback_answers) >= 2)
    match_id = int(relevant.split(":")[2])
    assert tg_store.feedback_counts(match_id)["relevant"] == 1
    assert tg_store.get_chat(46).muted_sources == (source,)  # type: ignore[union-attr]


async def test_recent_and_why(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/recent lists the chat's alerts; /why explains one, but not another chat's."""
    add_chat(tg_store, 47)
    add_chat(tg_store, 48)
    publish(tg_store, add_source(tg_store), 1)
    await pump(bot, lambda: len(fake.messages_to(47)) == 1 and len(fake.messages_to(48)) == 1)
    await fake.command("/recent", chat_id=47)
    listing = await fake.wait_for_text(47, "Last 1 alerts")
    alert_id = listing.text.split("#")[1].split(" ")[0]
    await fake.command(f"/why {alert_id}", chat_id=47)
    why = await fake.wait_for_text(47, "matched</b>")
    assert "drug term and cooperation signal" in why.text
    await fake.command(f"/why {alert_id}", chat_id=48)
    await fake.wait_for_text(48, "No alert")


async def test_status_shows_the_chat_settings(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/status lists topics, threshold, mute, digest and the backlog."""
    add_chat(tg_store, 49)
    await fake.command("/status", chat_id=49)
    status = await fake.wait_for_text(49, "This chat")
    assert TOPIC in status.text
    assert "Digest: off" in status.text
