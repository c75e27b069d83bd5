"""Briefing use cases: build a period's briefing from storage, keep schedules, queue due runs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.briefing.build import build_briefing, build_counts, period_ending
from bot.briefing.model import Briefing, MatchedRow, Period, PeriodCounts, SourceActivity
from bot.briefing.schedule import BriefingPlan, describe, latest_slot, parse_briefing, period_before
from bot.places.follow import place_codes
from bot.places.table import place_names

BRIEFING_USAGE = "/briefing weekly [day] [HH:MM] | daily [HH:MM] | off"


class Schedule(Protocol):
    """A chat's stored briefing schedule (`bot.storage.records.BriefingSchedule`)."""

    @property
    def chat_id(self) -> int: ...
    @property
    def mode(self) -> str: ...
    @property
    def day(self) -> int | None: ...
    @property
    def minute(self) -> int | None: ...
    @property
    def since(self) -> datetime | None: ...
    @property
    def timezone(self) -> str: ...


class BriefingStore(Protocol):
    """What briefings read and keep; each method is one transaction."""

    def briefing_rows(
        self, period: Period, topics: Sequence[str] | None, places: Collection[str] | None = None
    ) -> tuple[Sequence[MatchedRow], int]: ...
    def pair_counts(
        self, period: Period, topics: Sequence[str] | None, places: Collection[str] | None = None
    ) -> dict[tuple[str, str], int]: ...
    def period_counts(
        self, period: Period, topics: Sequence[str] | None, places: Collection[str] | None = None
    ) -> PeriodCounts: ...
    def source_activity(
        self, period: Period, topics: Sequence[str] | None, places: Collection[str] | None = None
    ) -> Sequence[SourceActivity]: ...
    def chat_topics(self, chat_id: int) -> Sequence[str]: ...
    def chat_places(self, chat_id: int) -> Sequence[str]: ...
    def set_briefing(
        self, chat_id: int, mode: str, *, day: int | None, minute: int | None, now: datetime
    ) -> bool: ...
    def briefing_schedules(self, chat_id: int | None = None) -> Sequence[Schedule]: ...
    def queue_briefings(
        self, due: Sequence[tuple[int, str, datetime]], *, now: datetime
    ) -> int: ...


def plan_of(schedule: Schedule) -> BriefingPlan:
    return BriefingPlan(schedule.mode, schedule.day, schedule.minute)


class Briefings:
    """Briefings for the report, for `/stats`, and the scheduled ones."""

    def __init__(self, store: BriefingStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def report(
        self,
        period: Period,
        topics: Sequence[str] | None,
        *,
        health: bool = True,
        places: Sequence[str] = (),
    ) -> Briefing:
        """The briefing of `topics` (None: every topic) over `period`, UTC days; only items
        in which one of `places` (keys, see bot.places) acted, when given."""
        codes = place_codes(places)
        rows, previous = self.store.briefing_rows(period, topics, codes)
        pairs = self.store.pair_counts(period.previous(), topics, codes)
        activity = self.store.source_activity(period, topics, codes) if health else ()
        shown = sorted({row.topic for row in rows}) if topics is None else list(topics)
        return build_briefing(
            rows,
            period,
            topics=shown,
            previous_total=previous,
            source_health=activity,
            previous_pairs=pairs,
            places=place_names(places),
        )

    def _timezone(self, chat_id: int) -> str:
        found = self.store.briefing_schedules(chat_id)
        return found[0].timezone if found else "UTC"

    def for_chat(self, chat_id: int, period: Period) -> Briefing:
        """The briefing of the chat's topics over `period`, days in the chat's time zone."""
        topics = list(self.store.chat_topics(chat_id))
        places = list(self.store.chat_places(chat_id))
        codes = place_codes(places)
        rows, previous = self.store.briefing_rows(period, topics, codes) if topics else ([], 0)
        pairs = self.store.pair_counts(period.previous(), topics, codes) if topics else {}
        return build_briefing(
            rows,
            period,
            topics=topics,
            previous_total=previous,
            timezone=self._timezone(chat_id),
            previous_pairs=pairs,
            places=place_names(places),
        )

    def stats(self, chat_id: int, days: int) -> Briefing:
        """`/stats`: the last `days` days for this chat, counted by the database (a picture
        needs no stories, and 90 days may hold 100,000 items)."""
        period = period_ending(self.clock(), days)
        topics = list(self.store.chat_topics(chat_id))
        if not topics:
            return build_counts(PeriodCounts(0, 0, (), (), ()), period, topics=topics)
        places = list(self.store.chat_places(chat_id))
        counts = self.store.period_counts(period, topics, place_codes(places))
        return build_counts(
            counts,
            period,
            topics=topics,
            timezone=self._timezone(chat_id),
            places=place_names(places),
        )

    def scheduled(self, chat_id: int, mode: str, slot: datetime) -> Briefing:
        """The briefing a run due at `slot` sends: the day or week up to it."""
        return self.for_chat(chat_id, period_before(BriefingPlan(mode), slot))

    def set_schedule(self, chat_id: int, args: Sequence[str]) -> str:
        """`/briefing ...`: store the schedule; the reply (plain words, no markup)."""
        try:
            plan = parse_briefing(args)
        except ValueError as exc:
            return f"{exc}. Usage: {BRIEFING_USAGE}"
        now = self.clock()
        self.store.set_briefing(chat_id, plan.mode, day=plan.day, minute=plan.minute, now=now)
        if plan.mode == "off":
            return "Scheduled briefing off."
        tz_name = self._timezone(chat_id)
        return (
            f"Briefing {describe(plan, tz_name)}: a picture of the period and its top stories. "
            "The time zone is the one /quiet sets."
        )

    def current(self, chat_id: int) -> str:
        """The chat's schedule in words ("off" when none)."""
        found = self.store.briefing_schedules(chat_id)
        if not found:
            return "off"
        return describe(plan_of(found[0]), found[0].timezone)

    def queue_due(self, *, grace: timedelta = timedelta(days=1)) -> int:
        """Queue each chat's latest due briefing (once: the store keys runs by chat and slot).

        A slot before the schedule was set is not owed, and one more than `grace` old is
        skipped (a daemon down for a week sends next week's, not a stale one).
        """
        now = self.clock()
        due = []
        for schedule in self.store.briefing_schedules():
            slot = latest_slot(plan_of(schedule), schedule.timezone, now)
            if slot is None or schedule.since is None or slot < schedule.since:
                continue
            if now - slot > grace:
                continue
            due.append((schedule.chat_id, schedule.mode, slot))
        return self.store.queue_briefings(due, now=now) if due else 0
