"""Briefing storage on SQLite and PostgreSQL: the period's rows, schedules, runs sent once."""

from __future__ import annotations

from datetime import timedelta

from bot.briefing.build import period_ending
from bot.services.briefing import Briefings
from bot.storage import Store
from tests.briefing.conftest import END, TOPIC, Stored, store_matches

CN = ("China", "country")
DAY = timedelta(days=1)


def test_briefing_rows_are_the_periods_matches_with_their_evidence(store: Store) -> None:
    """Rows inside the period (by match time), topic filter, and the previous period's count."""
    store_matches(
        store,
        [
            Stored("in, both topics", END - DAY, entities=(CN,), topics=(TOPIC, "other")),
            Stored("in, other source", END - 2 * DAY, source="TASS"),
            Stored("previous week", END - 8 * DAY),
            Stored("previous week too", END - 9 * DAY, topics=("other",)),
            Stored("after the end", END + DAY),
        ],
    )
    period = period_ending(END, 7)
    rows, previous = store.briefing_rows(period, [TOPIC])
    assert sorted(r.title for r in rows) == ["in, both topics", "in, other source"]
    first = next(r for r in rows if r.title == "in, both topics")
    assert first.entities == (("China", "country"),)
    assert first.terms == ("anti-drug",)
    assert first.matched_at == END - DAY
    assert previous == 1
    every, previous_all = store.briefing_rows(period, None)
    assert len(every) == 3
    assert previous_all == 2
    activity = {a.name: a.matches for a in store.source_activity(period, [TOPIC])}
    assert activity == {"Wire": 1, "TASS": 1}


def test_report_service_builds_stories_and_health_from_storage(store: Store) -> None:
    """The report of all topics: items counted once, every source listed with its health."""
    store_matches(
        store,
        [
            Stored(
                "China and Myanmar seize methamphetamine on Mekong",
                END - DAY,
                entities=(CN, ("Myanmar", "country")),
            ),
            Stored(
                "Mekong: Myanmar and China seize methamphetamine haul",
                END - DAY / 2,
                source="TASS",
                entities=(CN, ("Myanmar", "country")),
                topics=(TOPIC, "x"),
            ),
        ],
    )
    briefing = Briefings(store, lambda: END).report(period_ending(END, 7), None)
    assert briefing.total == 2
    assert briefing.topics == (TOPIC, "x")
    assert [len(s.sources) for s in briefing.stories] == [2]
    assert {a.name for a in briefing.source_health} == {"Wire", "TASS"}


def test_runs_are_queued_once_and_leased_to_one_sender(store: Store) -> None:
    """Queueing the same slot twice adds nothing; a leased run goes to one owner until its
    lease expires."""
    store.upsert_chat(5, type="private", title=None, now=END)
    due = [(5, "weekly", END)]
    assert store.queue_briefings(due, now=END) == 1
    assert store.queue_briefings(due, now=END) == 0
    first = store.claim_briefings(now=END, limit=5, owner="a", lease_seconds=60)
    second = store.claim_briefings(now=END, limit=5, owner="b", lease_seconds=60)
    assert [r.chat_id for r in first] == [5]
    assert second == []
    later = store.claim_briefings(
        now=END + timedelta(seconds=61), limit=5, owner="b", lease_seconds=60
    )
    assert [r.run_id for r in later] == [first[0].run_id]
    assert later[0].attempts == 2
    store.briefing_photo_sent(later[0].run_id, 4242)
    store.briefing_retry(later[0].run_id, "transient", END)
    again = store.claim_briefings(
        now=END + timedelta(minutes=5), limit=5, owner="c", lease_seconds=60
    )
    assert again[0].photo_message_id == 4242
    store.briefing_sent(again[0].run_id, 4243, END)
    assert store.claim_briefings(now=END + DAY, limit=5, owner="d", lease_seconds=60) == []
    assert [r["status"] for r in store.briefing_runs(5)] == ["sent"]


def test_only_slots_after_the_schedule_was_set_are_owed(store: Store) -> None:
    """Setting a weekly briefing on Wednesday sends nothing for the Monday gone; the next
    Monday's is queued once however often the daemon ticks."""
    store.upsert_chat(7, type="private", title=None, now=END)
    wednesday = END + 2 * DAY
    now = [wednesday]
    service = Briefings(store, lambda: now[0])
    assert "weekly on Monday at 09:00 (UTC)" in service.set_schedule(7, ["weekly"])
    assert service.queue_due() == 0
    now[0] = END + 7 * DAY + timedelta(minutes=1)
    assert service.queue_due() == 1
    assert service.queue_due() == 0
    runs = store.briefing_runs(7)
    assert [(r["mode"], r["period_end"]) for r in runs] == [("weekly", END + 7 * DAY)]
    assert "off" in service.set_schedule(7, ["off"])
    now[0] = END + 14 * DAY + timedelta(minutes=1)
    assert service.queue_due() == 0
    assert "Usage" in service.set_schedule(7, ["hourly"])


def test_stats_counts_in_the_database_agree_with_counting_rows(store: Store) -> None:
    """/stats aggregates in SQL (per UTC hour, source, entity list); its numbers equal the
    row-by-row briefing's, days cut in the chat's time zone."""
    items = [
        Stored(
            f"item {n}",
            END - timedelta(hours=5 * n + 0.5),
            source=("Xinhua", "TASS", "UN News")[n % 3],
            entities=((CN, ("UNODC", "organisation")) if n % 2 else (("Laos", "country"),)),
        )
        for n in range(30)
    ]
    store_matches(store, items)
    store.upsert_chat(9, type="private", title=None, now=END)
    store.subscribe(9, TOPIC, None, now=END)
    store.set_quiet_hours(9, start=60, end=120, timezone="America/New_York")
    service = Briefings(store, lambda: END)
    stats = service.stats(9, 7)
    full = service.for_chat(9, period_ending(END, 7))
    assert stats.total == full.total == 30
    assert stats.per_day == full.per_day
    assert stats.countries == full.countries
    assert stats.organisations == full.organisations
    assert stats.sources == full.sources
    assert stats.previous_total == full.previous_total
    assert stats.timezone == "America/New_York"
    assert stats.stories == ()
    assert full.stories
