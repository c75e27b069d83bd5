"""Delivery through the fake Bot API: limits, RetryAfter, dead chats, retries, fallbacks, leases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.tables import OUTBOX
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi
from tests.telegram.conftest import (
    Clock,
    add_chat,
    add_source,
    outbox_status,
    publish,
    pump,
    utc_now,
)


def rows(store: TelegramStore) -> list[dict[str, object]]:
    with store.engine.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


async def test_alert_arrives_as_html_with_buttons_and_no_preview(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A match becomes one HTML message with feedback buttons; the row records its message id."""
    add_chat(tg_store, 42)
    publish(tg_store, add_source(tg_store), 1, title="China <b>& SCO")
    await pump(bot, lambda: len(fake.messages_to(42)) == 1)
    message = fake.messages_to(42)[0]
    assert message.parse_mode == "HTML"
    assert "China &lt;b&gt;&amp; SCO k0" in message.text
    assert message.link_preview_disabled is True
    assert message.reply_markup is not None
    row = rows(tg_store)[0]
    assert row["status"] == "sent"
    assert row["telegram_message_id"] == message.message_id


async def test_retry_after_for_one_chat_does_not_stall_the_others(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A 429 for one chat delays only that chat, by the time Telegram asked for."""
    for chat_id in range(1, 7):
        add_chat(tg_store, chat_id)
    fake.fail(1, "retry_after:2", times=1)
    publish(tg_store, add_source(tg_store), 1)
    started = fake.clock()
    await pump(bot, lambda: all(fake.messages_to(c) for c in range(2, 7)))
    others_done = fake.clock()
    assert fake.messages_to(1) == []
    # Telegram has a message before the sender records it: wait for the records.
    await pump(bot, lambda: outbox_status(tg_store) == {"sent": 6})
    assert len(fake.messages_to(1)) == 1
    assert others_done - started < 1.5
    assert fake.messages_to(1)[0].at - started >= 2.0


async def test_blocked_chat_is_deactivated_and_gets_nothing_more(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """403 deactivates the chat, stops its queued rows, and later matches skip it."""
    add_chat(tg_store, 9)
    add_chat(tg_store, 10)
    fake.fail(9, "forbidden")
    source = add_source(tg_store)
    publish(tg_store, source, 3)
    await pump(
        bot,
        lambda: (
            len(fake.messages_to(10)) == 3
            and "sending" not in outbox_status(tg_store)
            and "pending" not in outbox_status(tg_store)
        ),
    )
    chat = tg_store.get_chat(9)
    assert chat is not None
    assert chat.active is False
    assert fake.messages_to(9) == []
    assert all(r["status"] in ("failed", "dropped") for r in rows(tg_store) if r["chat_id"] == 9)
    publish(tg_store, source, 1, key="later")
    assert [r for r in rows(tg_store) if r["chat_id"] == 9 and r["status"] == "pending"] == []


async def test_chat_not_found_also_deactivates(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """400 "chat not found" is a gone chat, not a bad message."""
    add_chat(tg_store, 11)
    fake.fail(11, "not_found")
    publish(tg_store, add_source(tg_store), 1)
    await pump(bot, lambda: (c := tg_store.get_chat(11)) is not None and not c.active)
    assert fake.messages_to(11) == []


async def test_server_errors_are_retried_with_backoff(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """After a 502 the row waits (backoff) and is sent on a later try; nothing is lost."""
    add_chat(tg_store, 5)
    fake.fail(5, "5xx", times=1)
    publish(tg_store, add_source(tg_store), 1)
    await pump(bot, lambda: rows(tg_store)[0]["last_error"] is not None)
    row = rows(tg_store)[0]
    assert row["status"] == "pending"
    wait = row["next_attempt_at"] - utc_now()  # type: ignore[operator]
    assert timedelta(seconds=3) < wait < timedelta(seconds=7)
    clock.shift(10)
    # Telegram has the message before the sender records it: wait for the record.
    await pump(bot, lambda: rows(tg_store)[0]["status"] == "sent")
    assert len(fake.messages_to(5)) == 1


async def test_rejected_message_falls_back_to_plain_text(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """When Telegram refuses the HTML ("message is too long") the plain version goes out."""
    add_chat(tg_store, 6)
    fake.fail(6, "too_long", times=1)
    publish(tg_store, add_source(tg_store), 1, title="Joint <anti-drug> & more")
    await pump(bot, lambda: len(fake.messages_to(6)) == 1)
    message = fake.messages_to(6)[0]
    assert message.parse_mode is None
    assert "Joint <anti-drug> & more k0" in message.text
    assert outbox_status(tg_store) == {"sent": 1}


async def test_rows_of_a_crashed_sender_are_delivered_once_after_the_lease(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """Rows left 'sending' by a dead process go out once its lease expires, each exactly once."""
    for chat_id in (21, 22):
        add_chat(tg_store, chat_id)
    publish(tg_store, add_source(tg_store), 2)
    crashed = tg_store.claim_outbox(now=clock(), limit=10, owner="dead", lease_seconds=60)
    assert len(crashed) == 4
    for _ in range(5):
        await bot.deliver_tick()
    assert fake.sent == []
    clock.shift(61)
    await pump(bot, lambda: outbox_status(tg_store) == {"sent": 4})
    for _ in range(5):
        await bot.deliver_tick()
    texts = [(m.chat_id, m.text) for m in fake.sent]
    assert len(texts) == 4
    assert len(set(texts)) == 4


async def test_muted_chat_gets_nothing(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Alerts queued before a /mute are dropped rather than sent during it."""
    add_chat(tg_store, 31)
    publish(tg_store, add_source(tg_store), 1)
    tg_store.set_mute(31, utc_now() + timedelta(hours=1))
    await pump(bot, lambda: outbox_status(tg_store) == {"dropped": 1})
    assert fake.messages_to(31) == []


async def test_quiet_hours_hold_alerts_until_they_end(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """During quiet hours the alert waits, then goes out when they end."""
    add_chat(tg_store, 32)
    now = utc_now()
    start = (now.hour * 60 + now.minute - 10) % 1440
    tg_store.set_quiet_hours(32, start=start, end=(start + 60) % 1440, timezone="UTC")
    publish(tg_store, add_source(tg_store), 1)
    await pump(
        bot,
        lambda: (
            rows(tg_store)[0]["status"] == "pending"
            and rows(tg_store)[0]["next_attempt_at"] > clock()
        ),
    )  # type: ignore[operator]
    assert rows(tg_store)[0]["attempts"] == 0
    assert fake.messages_to(32) == []
    clock.shift(3600)
    await pump(bot, lambda: len(fake.messages_to(32)) == 1)


async def test_hourly_digest_gathers_alerts_into_one_message(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """A digest chat gets nothing at once, then one message listing every alert of the hour."""
    add_chat(tg_store, 33)
    tg_store.set_digest(33, "hourly")
    publish(tg_store, add_source(tg_store), 3)
    await pump(
        bot,
        lambda: all(
            r["attempts"] == 0 and r["status"] == "pending" and r["next_attempt_at"] > clock()
            for r in rows(tg_store)
        ),
    )  # type: ignore[operator]
    assert fake.messages_to(33) == []
    clock.shift(3600)
    await pump(bot, lambda: outbox_status(tg_store) == {"sent": 3})
    [digest] = fake.messages_to(33)
    assert "Hourly digest" in digest.text
    assert all(f"Item k{n}" in digest.text for n in range(3))
    assert {r["telegram_message_id"] for r in rows(tg_store)} == {digest.message_id}


async def test_forum_subscription_sends_to_its_thread(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A subscription made in a forum topic gets its alerts in that topic."""
    add_chat(tg_store, -1005, chat_type="supergroup", thread_id=55)
    publish(tg_store, add_source(tg_store), 1)
    await pump(bot, lambda: len(fake.messages_to(-1005)) == 1)
    assert fake.messages_to(-1005)[0].thread_id == 55


async def test_rows_backing_off_go_out_as_soon_as_telegram_answers_again(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """After an outage (several failures in a row), the first successful send makes the rows
    that were backing off due at once, instead of leaving them to sit out their backoff."""
    chats = (5, 6, 7)
    for chat in chats:
        add_chat(tg_store, chat)
        fake.fail(chat, "5xx", times=1)
    source = add_source(tg_store)
    publish(tg_store, source, 1)
    await pump(bot, lambda: all(r["last_error"] for r in rows(tg_store)))
    assert all(str(r["last_error"]).startswith("transient: ") for r in rows(tg_store))
    with tg_store.engine.begin() as conn:  # as if they had been failing for a long time
        conn.execute(OUTBOX.update().values(next_attempt_at=utc_now() + timedelta(minutes=30)))
    publish(tg_store, source, 1, title="Later", key="later")  # its send succeeds: Telegram is back
    await pump(bot, lambda: outbox_status(tg_store) == {"sent": 6}, within=20)
    assert all(len(fake.messages_to(chat)) == 2 for chat in chats)


async def test_one_chats_server_errors_keep_their_backoff(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A single chat's 5xx amid successful sends is not an outage: its row keeps backing off."""
    add_chat(tg_store, 5)
    add_chat(tg_store, 6)
    fake.fail(5, "5xx", times=1)
    source = add_source(tg_store)
    publish(tg_store, source, 1)
    await pump(bot, lambda: any(r["last_error"] for r in rows(tg_store)))
    publish(tg_store, source, 1, title="Later", key="later")
    await pump(bot, lambda: len(fake.messages_to(6)) == 2)
    waiting = next(r for r in rows(tg_store) if r["chat_id"] == 5 and r["status"] == "pending")
    assert waiting["next_attempt_at"] > utc_now() + timedelta(seconds=1)  # type: ignore[operator]
