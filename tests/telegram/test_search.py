"""/search through the fake Bot API: hits in three languages, groups, muted sources, limits."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from bot.core.models import Item, TopicScore
from bot.services.ports import PollSuccess, StoredEntry
from bot.services.search import CHAT_RESULTS
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime
from tests.support.fake_bot_api import FakeBotApi, parse_html
from tests.telegram.conftest import TOPIC, add_source, utc_now

MATCHED = (TopicScore(topic=TOPIC, score=0.87, matched=True),)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the store's search runs its contract on both databases."""
    return sqlite_url


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Command replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


def store_items(
    store: TelegramStore,
    source_id: int,
    items: list[tuple[str, str]],
    *,
    matches: tuple[TopicScore, ...] = (),
    days_ago: int = 0,
) -> None:
    """Store (key, title) items of one source, as a poll `days_ago` days back would."""
    now = utc_now() - timedelta(days=days_ago)
    entries = [
        StoredEntry(
            key=key,
            canonical_link=f"https://news.example/{key}",
            title_hash=hashlib.sha256(title.encode()).hexdigest(),
            item=Item(title=title, link=f"https://news.example/{key}", published=now),
            matches=matches,
        )
        for key, title in items
    ]
    store.save_poll(source_id, PollSuccess(now=now, next_poll_at=now), entries, alert=True)


async def test_search_answers_in_three_languages(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Russian forms, Chinese without spaces and English find the stored items, each with its
    date, source, link and whether (and for which topic) it matched."""
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [("ru", "Борьба с наркотрафиком в Азии")], matches=MATCHED)
    store_items(tg_store, wire, [("ru2", "Объём наркотрафика вырос"), ("zh", "中老加强禁毒合作")])
    store_items(tg_store, wire, [("en", "Opium and cooperation")])

    await fake.command("/search НАРКОТРАФИК", chat_id=61)
    reply = await fake.wait_for_text(61, "🔎")
    lines = reply.text.splitlines()
    assert lines[0] == "🔎 <b>НАРКОТРАФИК</b>: 2 stored items, newest first"
    assert lines[1] == '1. <a href="https://news.example/ru2">Объём наркотрафика вырос</a>'
    assert lines[2] == f"   {utc_now():%Y-%m-%d} · Wire · not matched"
    assert lines[3].endswith(">Борьба с наркотрафиком в Азии</a>")
    assert lines[4].endswith(f"· Wire · ✅ {TOPIC} 0.87")

    await fake.command("/search 禁毒合作", chat_id=62)
    assert "中老加强禁毒合作" in (await fake.wait_for_text(62, "🔎")).text
    await fake.command("/search opium 7d", chat_id=63)
    reply = await fake.wait_for_text(63, "🔎")
    assert "<b>opium</b> in the last 7d: 1 stored item," in reply.text


async def test_search_works_in_groups_for_any_member(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """In a group any member may search (it changes nothing), with the bot's name appended
    and a quoted phrase; the answer goes to the group's thread."""
    wire = add_source(tg_store, "Wire")
    store_items(tg_store, wire, [("a", "Golden Triangle heroin"), ("b", "Triangle golden")])
    await fake.command(
        '/search@nw_bot "golden triangle"',
        chat_id=-1001,
        user_id=5,
        chat_type="supergroup",
        thread_id=7,
        forum=True,
    )
    reply = await fake.wait_for_text(-1001, "🔎")
    assert "Golden Triangle heroin" in reply.text
    assert "Triangle golden" not in reply.text
    assert reply.thread_id == 7


async def test_search_leaves_out_sources_the_chat_muted(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Items of a source the chat muted are not shown to it; other chats still see them."""
    wire, other = add_source(tg_store, "Wire"), add_source(tg_store, "Other")
    store_items(tg_store, wire, [("w", "Cannabis law")])
    store_items(tg_store, other, [("o", "Cannabis seizure")])
    tg_store.upsert_chat(64, type="private", title="c", now=utc_now())
    tg_store.mute_source(64, other)
    await fake.command("/search cannabis", chat_id=64)
    reply = await fake.wait_for_text(64, "🔎")
    assert "Cannabis law" in reply.text
    assert "Cannabis seizure" not in reply.text
    await fake.command("/search cannabis", chat_id=65)
    assert "Cannabis seizure" in (await fake.wait_for_text(65, "🔎")).text


async def test_search_escapes_feed_text_and_fits_one_message(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Hostile, long titles are escaped and shortened; the newest hits that fit are shown."""
    wire = add_source(tg_store, 'Wire <b>&"')
    hostile = "<b>Crystal</b> & <a href='x'>meth</a> " + "very long title " * 30
    store_items(tg_store, wire, [(f"k{n}", f"{hostile}{n}") for n in range(CHAT_RESULTS + 5)])
    await fake.command("/search crystal meth", chat_id=66)
    reply = await fake.wait_for_text(66, "🔎")
    problem, visible = parse_html(reply.text)
    assert problem is None
    assert len(reply.text) <= 4096
    assert "&lt;b&gt;Crystal&lt;/b&gt; &amp; &lt;a href=&#x27;x&#x27;&gt;meth" in reply.text
    assert "Wire &lt;b&gt;&amp;&quot;" in reply.text
    assert f"the newest {CHAT_RESULTS} stored items" in visible
    assert visible.count("\n1") == 2  # the 1st and the 10th hit, no 11th
    assert "11. " not in visible


async def test_search_nothing_found_and_bad_arguments(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """No hit is said plainly; missing words, a bad period and no letters get the usage line."""
    await fake.command("/search ayahuasca 30d", chat_id=67)
    reply = await fake.wait_for_text(67, "🔎")
    assert "Nothing stored in the last 30d has all of: <b>ayahuasca</b>." in reply.text
    bad = ("/search", "/search 30d", "/search opium 0d", "/search !! ?")
    for chat_id, text in enumerate(bad, start=6800):
        await fake.command(text, chat_id=chat_id)
    await fake.wait_for(lambda s: sum("Usage: /search" in m.text for m in s) == len(bad))
    assert "no words to search for" in fake.messages_to(6803)[0].text


async def test_help_and_command_menu_list_search(bot: TelegramRuntime, fake: FakeBotApi) -> None:
    """/help shows /search's usage and the command menu has it."""
    await fake.command("/help", chat_id=69)
    assert "/search &lt;words&gt; [Nd]" in (await fake.wait_for_text(69, "Commands")).text
    assert "search" in [c["command"] for c in fake.commands]
