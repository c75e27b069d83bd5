"""Items the database could not hold (NUL, lone surrogates, huge links) never cost a poll."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.fetch import FetchLimits, HttpFetcher
from bot.services.poll import Poller, failure_text
from bot.services.ports import Scorer
from bot.storage import SourceSpec, Store
from bot.storage.tables import ITEM
from tests.faults.conftest import Clock
from tests.support.feedserver import FeedServer

LIMITS = FetchLimits(timeout_s=2.0)


def hostile_json_feed() -> bytes:
    items = [
        {"id": "nul", "title": "NUL \u0000 in the title", "content_text": "a\u0000b"},
        {"id": "long-link", "title": "Long link", "url": "https://x.example/" + "a" * 3000},
        {"id": "huge-link", "title": "Huge link", "url": "https://x.example/" + "b" * 9000},
        {"id": "control", "title": "Bell \u0007 and CSI \u009b2J", "content_text": "\u001b[31m"},
        {"id": "plain", "title": "An ordinary item", "url": "https://x.example/plain"},
    ]
    text = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items})
    # A lone surrogate, valid JSON escape but no valid UTF-8 character.
    text = text.replace("An ordinary item", "An ordinary item \\ud800")
    return text.encode()


async def test_hostile_item_fields_are_cleaned_and_every_item_stored(
    feedserver: FeedServer, store: Store, matcher: Scorer, clock: Clock
) -> None:
    """NUL, controls, a lone surrogate and 3 KB / 9 KB links: all five items are stored."""
    url = feedserver.add_feed("/feed.json", hostile_json_feed(), content_type="application/json")
    store.sync_config_sources([SourceSpec(name="hostile", url=url)], now=clock.now)
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)
        (source,) = store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60)
        outcome = await poller.poll(source)
    assert outcome.ok, outcome.error
    assert outcome.refused_items == 0
    with store.engine.connect() as conn:
        rows = {row.key: row for row in conn.execute(select(ITEM))}
    assert len(rows) == 5
    titles = {row.title for row in rows.values()}
    assert "NUL in the title" in titles
    assert "Bell and CSI 2J" in titles
    assert "An ordinary item" in titles
    assert all("\x00" not in row.content and "\x1b" not in row.content for row in rows.values())
    links = {row.link for row in rows.values()}
    assert "https://x.example/" + "a" * 3000 in links
    assert not any(link and "b" * 9000 in link for link in links)  # over 4096: dropped


def test_errors_stored_for_operators_hold_no_sql() -> None:
    """A database error (or any bug) is stored as its class only; SQL and values stay in logs."""
    exc = IntegrityError("INSERT INTO item (title) VALUES (%s)", {"title": "secret"}, Exception())
    text = failure_text(exc)
    assert text == "internal error (IntegrityError); details are in the log"


def refuse_titles_containing(store: Store, marker: str) -> None:
    """A trigger that makes the database itself refuse some items, as PostgreSQL refuses a
    value it cannot hold (no cleaned text is refused any more, so the test makes one)."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_marked BEFORE INSERT ON item "
                f"WHEN instr(NEW.title, '{marker}') > 0 BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF strpos(NEW.title, '{marker}') > 0 THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_marked BEFORE INSERT ON item "
                "FOR EACH ROW EXECUTE FUNCTION refuse_marked()"
            )


async def test_an_item_the_database_refuses_is_counted_and_the_rest_stored(
    feedserver: FeedServer, store: Store, matcher: Scorer, clock: Clock
) -> None:
    """One refused item: the poll succeeds, stores the other four, counts and logs the one."""
    from bot.ops.metrics import Metrics
    from tests.support.feedserver import rss_feed

    body = rss_feed(5).replace(b"<title>item 2 headline", b"<title>REFUSE-ME 2 headline")
    assert b"REFUSE-ME" in body
    url = feedserver.add_feed("/feed.xml", body)
    store.sync_config_sources([SourceSpec(name="wire", url=url)], now=clock.now)
    refuse_titles_containing(store, "REFUSE-ME")
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)
        (source,) = store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60)
        outcome = await poller.poll(source)
    assert outcome.ok, outcome.error
    assert (outcome.new_items, outcome.refused_items) == (4, 1)
    with store.engine.connect() as conn:
        titles = [row.title for row in conn.execute(select(ITEM.c.title))]
    assert len(titles) == 4
    assert not any("REFUSE-ME" in title for title in titles)
    assert store.source_health()[0].last_error is None
    metrics = Metrics()
    metrics.record_poll(outcome, 0.1)
    assert b"narcowatch_items_refused_total 1.0" in metrics.render()
