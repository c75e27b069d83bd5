"""/stats, /briefing and scheduled briefings, as a subscriber sees them in the fake Bot API."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from PIL import Image

from bot.drawing.charts import PNG_SIZE
from bot.services.briefing import Briefings
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.briefing_job import BriefingJob
from bot.telegram.runtime import TelegramRuntime
from bot.telegram.sender import TelegramSender
from tests.support.fake_bot_api import FakeBotApi, parse_html
from tests.telegram.conftest import Clock, add_chat, add_source, publish


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the briefing store runs its contract on both databases elsewhere."""
    return sqlite_url


async def until(check: Callable[[], object], fake: FakeBotApi, within: float = 15.0) -> None:
    """Wait until `check()` is truthy, woken by every call the fake answers."""
    async with asyncio.timeout(within):
        while not check():
            fake.sent_event.clear()
            await fake.sent_event.wait()


def texts(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [m.text for m in fake.messages_to(chat_id)]


async def test_stats_sends_one_phone_sized_picture_with_totals(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/stats 30d: a PNG of 1080 x 1980 by sendPhoto, the caption giving the totals."""
    add_chat(tg_store, 50)
    publish(tg_store, add_source(tg_store), 3)
    fake.enforce_limits = False
    await fake.command("/stats 30d", chat_id=50)
    await until(lambda: fake.photos, fake)
    photo = fake.photos[0]
    assert photo.chat_id == 50
    assert Image.open(io.BytesIO(photo.data)).size == PNG_SIZE
    assert parse_html(photo.caption)[0] is None
    assert "3 matched items" in photo.caption
    assert "(30 days)" in photo.caption


async def test_stats_answers_bad_periods_and_chats_without_topics_in_words(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A wrong period gets the usage; a chat that follows nothing is told to subscribe."""
    fake.enforce_limits = False
    await fake.command("/stats 1y", chat_id=51)
    await fake.wait_for_text(51, "Usage: /stats [7d|30d|90d]")
    await fake.command("/stats", chat_id=52)
    await fake.wait_for_text(52, "/subscribe")
    add_chat(tg_store, 53)
    await fake.command("/stats 7d", chat_id=53)
    await fake.wait_for_text(53, "Quiet week")
    assert fake.photos == []


async def test_briefing_command_stores_the_schedule_admins_only_in_groups(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/briefing weekly fri 18:00 is kept in the chat's time zone; group members may not."""
    fake.enforce_limits = False
    await fake.command("/briefing weekly fri 18:00", chat_id=54)
    await fake.wait_for_text(54, "weekly on Friday at 18:00 (UTC)")
    [schedule] = tg_store.briefing_schedules(54)
    assert (schedule.mode, schedule.day, schedule.minute) == ("weekly", 4, 1080)
    await fake.command("/briefing", chat_id=54)
    await fake.wait_for_text(54, "Briefing: weekly on Friday at 18:00 (UTC).")
    await fake.command("/briefing daily", chat_id=-1055, user_id=9, chat_type="group")
    await fake.wait_for_text(-1055, "administrators")
    await fake.command("/briefing sometimes", chat_id=54)
    await fake.wait_for_text(54, "Usage: /briefing")


def schedule_daily_due(store: TelegramStore, chat_id: int, clock: Clock) -> None:
    """A daily briefing whose slot was an hour ago, set the day before."""
    now = clock()
    slot = now - timedelta(hours=1)
    store.set_briefing(
        chat_id, "daily", day=None, minute=slot.hour * 60 + slot.minute, now=now - timedelta(days=1)
    )


async def test_scheduled_briefing_goes_once_however_many_daemons_tick(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """Picture, then top stories with links and source counts; a second tick and a second
    process's job send nothing more."""
    add_chat(tg_store, 60)
    publish(tg_store, add_source(tg_store), 2, title="Mekong <patrol> & seizure")
    clock.shift(2 * 3600)  # the slot, an hour before "now", comes after the items
    schedule_daily_due(tg_store, 60, clock)
    other = BriefingJob(
        tg_store,
        Briefings(tg_store, clock),
        TelegramSender(bot.application.bot),
        bot.worker.limiter,
        owner="other-process",
        clock=clock,
    )
    await asyncio.gather(bot.briefing_tick(), other.tick())
    await until(lambda: any("Top stories" in t for t in texts(fake, 60)), fake)
    await asyncio.gather(bot.briefing_tick(), other.tick())
    assert [p.chat_id for p in fake.photos] == [60]
    stories = [t for t in texts(fake, 60) if "Top stories" in t]
    assert len(stories) == 1
    assert "Mekong &lt;patrol&gt; &amp; seizure" in stories[0]
    assert '<a href="https://news.example/' in stories[0]
    assert "1 source</i>" in stories[0]
    assert [r["status"] for r in tg_store.briefing_runs(60)] == ["sent"]


async def test_a_chat_with_nothing_gets_one_quiet_line(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """No matches in the day: one line, no picture."""
    add_chat(tg_store, 61)
    schedule_daily_due(tg_store, 61, clock)
    await bot.briefing_tick()
    await until(lambda: texts(fake, 61), fake)
    assert texts(fake, 61)[0].startswith("Quiet day:")
    assert fake.photos == []


async def test_quiet_hours_hold_the_briefing_until_they_end(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """A briefing due in quiet hours waits for their end, then goes."""
    add_chat(tg_store, 62)
    now = clock()
    start = (now.hour * 60 + now.minute - 30) % 1440
    tg_store.set_quiet_hours(62, start=start, end=(start + 120) % 1440, timezone="UTC")
    schedule_daily_due(tg_store, 62, clock)
    await bot.briefing_tick()
    [run] = tg_store.briefing_runs(62)
    assert run["status"] == "pending"
    assert run["attempts"] == 0  # a hold is not an attempt
    assert run["next_attempt_at"] > now + timedelta(minutes=80)
    assert texts(fake, 62) == []
    clock.shift(2 * 3600)
    await bot.briefing_tick()
    await until(lambda: texts(fake, 62), fake)
    assert [r["status"] for r in tg_store.briefing_runs(62)] == ["sent"]


async def test_a_muted_chat_misses_the_briefing_as_it_misses_alerts(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """Due while muted: not sent, not kept for later."""
    add_chat(tg_store, 63)
    tg_store.set_mute(63, clock() + timedelta(days=3))
    schedule_daily_due(tg_store, 63, clock)
    await bot.briefing_tick()
    assert [(r["status"], r["last_error"]) for r in tg_store.briefing_runs(63)] == [
        ("failed", "chat muted")
    ]
    assert texts(fake, 63) == []


async def test_after_a_crash_between_picture_and_text_only_the_text_goes(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore, clock: Clock
) -> None:
    """A process died after sending the picture (recorded) and before the text: once its
    lease runs out, another sends the text alone."""
    add_chat(tg_store, 64)
    publish(tg_store, add_source(tg_store), 1)
    clock.shift(2 * 3600)
    schedule_daily_due(tg_store, 64, clock)
    Briefings(tg_store, clock).queue_due()
    [dead] = tg_store.claim_briefings(now=clock(), limit=1, owner="dead", lease_seconds=60)
    tg_store.briefing_photo_sent(dead.run_id, 999)
    await bot.briefing_tick()
    assert texts(fake, 64) == []  # still leased to the dead process
    clock.shift(61)
    await bot.briefing_tick()
    await until(lambda: texts(fake, 64), fake)
    assert fake.photos == []
    assert "Top stories" in texts(fake, 64)[0]
    [run] = tg_store.briefing_runs(64)
    assert (run["status"], run["photo_message_id"]) == ("sent", 999)


async def test_stats_draws_a_source_named_with_dollar_signs(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A source titled `Drug $\\frac{news$` (mathtext that cannot parse) still gets a picture."""
    add_chat(tg_store, 54)
    publish(tg_store, add_source(tg_store, r"Drug $\frac{news$ $\x$"), 2)
    fake.enforce_limits = False
    await fake.command("/stats 7d", chat_id=54)
    await until(lambda: fake.photos or fake.messages_to(54), fake)
    assert [m.text for m in fake.messages_to(54)] == []  # not "Sorry, that failed"
    assert Image.open(io.BytesIO(fake.photos[0].data)).size == PNG_SIZE
    assert "2 matched items" in fake.photos[0].caption
