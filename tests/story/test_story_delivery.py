"""Story edits through the fake Bot API: the alert's message is edited, never sent twice."""

from __future__ import annotations

from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.story.conftest import add_chat, add_source, entry, outbox, publish
from tests.story.texts import MEKONG_CN_RU, TASS_CN_RU, XINHUA_CN_RU
from tests.support.fake_bot_api import FakeBotApi
from tests.telegram.conftest import Clock, pump


def statuses(store: TelegramStore) -> list[tuple[str, str]]:
    return [(row["kind"], row["status"]) for row in outbox(store)]


async def test_the_alert_is_edited_to_list_a_new_source(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """A repost from a second source edits the sent alert ("also: ..."); no second message."""
    add_chat(tg_store, 42)
    xinhua, mekong = add_source(tg_store, "Xinhua"), add_source(tg_store, "Mekong Times")
    publish(tg_store, xinhua, entry("x", XINHUA_CN_RU), now=clock())
    await pump(bot, lambda: len(fake.messages_to(42)) == 1)
    (original,) = fake.messages_to(42)
    assert "Xinhua ·" in original.text
    assert "also:" not in original.text

    publish(tg_store, mekong, entry("m", MEKONG_CN_RU), now=clock())
    # Telegram has the edit a moment before the sender records it: wait for both.
    await pump(bot, lambda: len(fake.edits) == 1 and ("edit", "sent") in statuses(tg_store))
    (edit,) = fake.edits
    assert edit.message_id == original.message_id
    assert "Xinhua · also: Mekong Times ·" in edit.text
    assert edit.parse_mode == "HTML"
    assert edit.reply_markup == original.reply_markup  # the feedback buttons stay the alert's
    for _ in range(5):
        await bot.deliver_tick()
    assert len(fake.messages_to(42)) == 1
    assert len(fake.edits) == 1
    assert statuses(tg_store) == [("alert", "sent"), ("edit", "sent")]


async def test_a_repost_before_the_alert_is_sent_gives_one_message_naming_both(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """When the repost comes first, the one alert already lists both; the edit changes nothing."""
    add_chat(tg_store, 43)
    xinhua, tass = add_source(tg_store, "Xinhua"), add_source(tg_store, "TASS")
    publish(tg_store, xinhua, entry("x", XINHUA_CN_RU), now=clock())
    publish(tg_store, tass, entry("t", TASS_CN_RU), now=clock())
    await pump(bot, lambda: len(fake.messages_to(43)) == 1)
    assert "Xinhua · also: TASS ·" in fake.messages_to(43)[0].text
    clock.shift(10)  # the edit waited for the alert to go out
    await pump(bot, lambda: statuses(tg_store) == [("alert", "sent"), ("edit", "sent")])
    assert fake.edits == []  # "message is not modified" counts as done
    assert any(method == "editMessageText" for method, _ in fake.calls)
    assert len(fake.messages_to(43)) == 1


async def test_an_edit_of_a_deleted_message_is_dropped_not_retried(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """A message the chat deleted cannot be edited: the edit row ends dropped after one try."""
    add_chat(tg_store, 44)
    xinhua, tass = add_source(tg_store, "Xinhua"), add_source(tg_store, "TASS")
    publish(tg_store, xinhua, entry("x", XINHUA_CN_RU), now=clock())
    await pump(bot, lambda: len(fake.messages_to(44)) == 1)
    fake.delete_message(44, fake.messages_to(44)[0].message_id)
    publish(tg_store, tass, entry("t", TASS_CN_RU), now=clock())
    await pump(bot, lambda: ("edit", "dropped") in statuses(tg_store))
    clock.shift(3600)
    for _ in range(5):
        await bot.deliver_tick()
    edit_row = outbox(tg_store)[1]
    assert edit_row["attempts"] == 1
    assert "can no longer be edited" in edit_row["last_error"]
    assert sum(method == "editMessageText" for method, _ in fake.calls) == 1
    assert len(fake.messages_to(44)) == 1


async def test_an_edit_left_sending_by_a_dead_sender_is_done_once(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """An edit row leased by a process that died is edited once, after its lease expires."""
    add_chat(tg_store, 45)
    add_chat(tg_store, 46)
    xinhua, tass = add_source(tg_store, "Xinhua"), add_source(tg_store, "TASS")
    publish(tg_store, xinhua, entry("x", XINHUA_CN_RU), now=clock())
    # Both alerts recorded as sent (Telegram has them a moment before the sender records it).
    await pump(bot, lambda: statuses(tg_store) == [("alert", "sent")] * 2)
    assert len(fake.sent) == 2
    publish(tg_store, tass, entry("t", TASS_CN_RU), now=clock())
    crashed = tg_store.claim_outbox(now=clock(), limit=10, owner="dead", lease_seconds=60)
    assert sorted((row.chat_id, row.edit is not None) for row in crashed) == [
        (45, True),
        (46, True),
    ]
    for _ in range(5):
        await bot.deliver_tick()
    assert fake.edits == []
    clock.shift(61)
    # Telegram has an edit a moment before the sender records it: wait for the record.
    await pump(bot, lambda: statuses(tg_store).count(("edit", "sent")) == 2)
    for _ in range(5):
        await bot.deliver_tick()
    assert sorted(edit.chat_id for edit in fake.edits) == [45, 46]
    assert all("also: TASS" in edit.text for edit in fake.edits)
    assert len(fake.sent) == 2
    assert statuses(tg_store).count(("edit", "sent")) == 2
