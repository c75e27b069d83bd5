"""The composition root: settings -> store -> fetcher -> matcher -> poller -> notifier -> ticks."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config_watch import ConfigWatcher
from bot.console import ConsoleNotifier
from bot.core.models import PollOutcome
from bot.jobs import (
    AdminNotify,
    FeedbackNudgeJob,
    PollJob,
    SourceHealthJob,
    poll_timing,
    prune_cutoff,
)
from bot.ops.health import HealthServer, build_app
from bot.process_lock import single_daemon, sqlite_path
from bot.runtime import (
    Runtime,
    feedback_since_models,
    model_statuses,
    open_runtime,
    utc_now,
)
from bot.services.configuration import Configuration
from bot.services.delivery_jobs import DeliveryOptions
from bot.services.model_feedback import models_message
from bot.services.source_health import HealthThresholds
from bot.services.starvation import with_status
from bot.settings import Settings
from bot.settings.tuning import Tuning, tuning_from_env
from bot.storage.leadership import UpdatesLeadership
from bot.storage.sources import DISABLED_IN_CONFIG, REMOVED_BY_ADMIN, REMOVED_FROM_CONFIG

if TYPE_CHECKING:
    from bot.telegram.runtime import TelegramRuntime

log = logging.getLogger("narcowatch.daemon")

STOP_DEADLINE_S = 10.0
STOP_MARGIN_S = 1.5  # left of the 10 s for the health server, the engine and interpreter exit
TICK_SECONDS = 1.0
POLL_TICK_JITTER_S = 0.5
SOURCE_HEALTH_EVERY_S = 180.0
BRIEFING_TICK_S = 30.0  # scheduled briefings go out within this of their time
# Sources an operator disabled on purpose are not reported as unhealthy.
OPERATOR_REASONS = frozenset({REMOVED_FROM_CONFIG, DISABLED_IN_CONFIG, REMOVED_BY_ADMIN})


def log_outcome(outcome: PollOutcome) -> None:
    if outcome.ok and not outcome.not_modified:
        log.info(
            "poll.done",
            extra={
                "source": outcome.source_name,
                "items": outcome.items_seen,
                "new": outcome.new_items,
                "matches": len(outcome.matches),
                "baseline": outcome.baseline,
            },
        )


async def poll_once(
    config: Configuration, *, progress: Callable[[PollOutcome], None] | None = None
) -> list[PollOutcome]:
    """Poll every enabled source once, concurrently within the fetch limits."""
    async with open_runtime(config) as runtime:
        sources = await asyncio.to_thread(
            runtime.store.claim_all_enabled, now=utc_now(), owner=runtime.owner, lease_seconds=3600
        )

        async def one(source: Any) -> PollOutcome:
            outcome = await runtime.poller.poll(source)
            if progress is not None:
                progress(outcome)
            return outcome

        return list(await asyncio.gather(*(one(source) for source in sources)))


async def run_daemon(config: Configuration, env: Mapping[str, str], stop: asyncio.Event) -> None:
    """Run until `stop` is set: scheduler ticks, polls, alerts, health server; SIGHUP reloads."""
    tuning = tuning_from_env(env)
    with single_daemon(config.settings.database_url):
        await _run(config, env, stop, tuning)


async def _run(
    config: Configuration, env: Mapping[str, str], stop: asyncio.Event, tuning: Tuning
) -> None:
    async with open_runtime(config) as runtime:
        settings = config.settings
        console = ConsoleNotifier()

        def on_outcome(outcome: PollOutcome, seconds: float) -> None:
            runtime.metrics.record_poll(outcome, seconds)
            log_outcome(outcome)
            console.announce(outcome)

        if sqlite_path(settings.database_url) is not None:
            # One daemon per SQLite database (bot.process_lock): a source lease still held was
            # taken by a process that died (kill -9), so its sources are polled now.
            expired = await asyncio.to_thread(runtime.store.expire_source_leases, utc_now())
            log.info("poll.leases_expired", extra={"sources": expired})
        lease, work = poll_timing(settings, tuning.poll_lease_margin_s)
        poll_job = PollJob(
            runtime.poller,
            runtime.store,
            owner=runtime.owner,
            max_in_flight=settings.polling.concurrency * 2,
            lease_seconds=lease,
            work_seconds=work,
            clock=utc_now,
            on_outcome=on_outcome,
        )

        def retime(new: Settings) -> None:
            # Budgets change on reload; the fetch timeout applies at start (the fetcher's).
            poll_job.lease_seconds, poll_job.work_seconds = poll_timing(
                new, tuning.poll_lease_margin_s, timeout_s=settings.polling.timeout
            )

        runtime.on_reload.append(retime)

        async def prune() -> None:
            cutoff = prune_cutoff(utc_now(), runtime.config.settings.retention.items_days)
            removed = await asyncio.to_thread(runtime.store.prune_unmatched_items, cutoff)
            log.info("prune.done", extra={"removed": removed})

        async def health_report() -> dict[str, Any]:
            report = await asyncio.to_thread(
                runtime.store.health_report,
                now=utc_now(),
                last_tick_at=poll_job.last_tick_at,
                last_poll_at=poll_job.last_poll_at,
            )
            return with_status(report, poll_job.load(), now=utc_now())

        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            poll_job.tick,
            "interval",
            # Processes sharing a database would otherwise keep fixed tick phases, and the one
            # ticking first after sources fall due would claim nearly all of them every time.
            # APScheduler adds the jitter to each gap, so the gaps still average TICK_SECONDS.
            seconds=TICK_SECONDS - POLL_TICK_JITTER_S / 2,
            jitter=POLL_TICK_JITTER_S,
            id="poll",
            max_instances=1,
            coalesce=True,
            next_run_time=utc_now(),
        )
        scheduler.add_job(prune, "interval", hours=6, id="prune", max_instances=1, coalesce=True)

        async def refresh_metrics() -> None:
            now = utc_now()
            count, oldest = await asyncio.to_thread(runtime.store.outbox_backlog, now)
            age = (now - oldest).total_seconds() if oldest is not None else None
            runtime.metrics.set_backlog(count, age)
            feedback = await asyncio.to_thread(feedback_since_models, runtime)
            runtime.metrics.set_feedback_since_model(
                {found.topic: (found.judged, found.missed) for found in feedback}
            )

        health = HealthServer(
            build_app(health_report, runtime.metrics, refresh=refresh_metrics),
            settings.health.listen,
        )
        await health.start()
        stack = AsyncExitStack()
        notify: AdminNotify | None = None
        if settings.telegram.token:
            tg = await attach_telegram(runtime, scheduler, stack, env, tuning)
            notify = tg.tell_admins
        schedule_source_health(scheduler, runtime, notify)
        schedule_feedback_nudge(scheduler, runtime, notify, every_s=tuning.feedback_nudge_s)
        await schedule_config_watch(scheduler, runtime, env, notify)
        reloads: set[asyncio.Task[list[str]]] = set()

        def reload_on_sighup() -> None:
            task = asyncio.create_task(runtime.reload(env))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload_on_sighup)
        scheduler.start()
        log.info(
            "daemon.started",
            extra={
                "sources": len(settings.sources),
                "topics": len(config.topics),
                "owner": runtime.owner,
            },
        )
        try:
            await stop.wait()
        finally:
            log.info("daemon.stopping", extra={"polls_in_flight": len(poll_job.tasks)})
            scheduler.shutdown(wait=False)
            if runtime.poller.articles is not None:
                runtime.poller.articles.stop()
            try:
                # Side by side: polls drain for up to 5 s (+1 s to cancel) while the bot hands
                # its queue back within 3 s. The hard deadline covers a Telegram that does not
                # answer while the bot stops; whatever is cut short is under a lease that runs
                # out, so it is redone later, never lost.
                async with asyncio.timeout(STOP_DEADLINE_S - STOP_MARGIN_S):
                    await asyncio.gather(
                        poll_job.drain(deadline_s=STOP_DEADLINE_S - 5), stack.aclose()
                    )
            except TimeoutError:
                log.warning(
                    "daemon.stop_cut_short", extra={"after_s": STOP_DEADLINE_S - STOP_MARGIN_S}
                )
            finally:
                await health.stop()
            log.info("daemon.stopped")


def schedule_source_health(
    scheduler: AsyncIOScheduler, runtime: Runtime, notify: AdminNotify | None
) -> SourceHealthJob:
    """Every few minutes, tell admins (or the log) which sources turned unhealthy or recovered."""
    job = SourceHealthJob(
        runtime.store,
        clock=utc_now,
        notify=notify,
        thresholds=HealthThresholds(operator_reasons=OPERATOR_REASONS),
        on_checked=runtime.metrics.sources_unhealthy.set,
    )
    scheduler.add_job(
        job.tick,
        "interval",
        seconds=SOURCE_HEALTH_EVERY_S,
        id="source_health",
        max_instances=1,
        coalesce=True,
        # After the first polls of a (re)start, so a fixed source is not reported before it
        # has had its chance to recover.
        next_run_time=utc_now() + timedelta(seconds=60),
    )
    return job


def schedule_feedback_nudge(
    scheduler: AsyncIOScheduler, runtime: Runtime, notify: AdminNotify | None, *, every_s: float
) -> FeedbackNudgeJob:
    """Every `every_s` (an hour), tell admins (or the log) which topics' models have verdicts
    to learn; the first time two minutes after start, or sooner when `every_s` is shorter."""
    job = FeedbackNudgeJob(
        runtime.store, lambda: feedback_since_models(runtime), clock=utc_now, notify=notify
    )
    scheduler.add_job(
        job.tick,
        "interval",
        seconds=every_s,
        id="feedback_nudge",
        max_instances=1,
        coalesce=True,
        next_run_time=utc_now() + timedelta(seconds=min(120.0, every_s)),
    )
    return job


def watched_files(config: Configuration) -> list[Path]:
    """The main config file and the topic files it lists."""
    return [config.path, *config.settings.topics]


async def schedule_config_watch(
    scheduler: AsyncIOScheduler,
    runtime: Runtime,
    env: Mapping[str, str],
    notify: AdminNotify | None,
) -> ConfigWatcher:
    """Apply saved edits of the config and topic files by themselves (`reload.watch`)."""
    options = runtime.config.settings.reload
    watcher = ConfigWatcher(
        files=lambda: watched_files(runtime.config),
        reload=lambda: runtime.reload(env),
        clock=time.monotonic,
        debounce_s=options.debounce,
        enabled=lambda: runtime.config.settings.reload.watch,
        notify=notify,
    )
    await watcher.start()
    scheduler.add_job(
        watcher.tick,
        "interval",
        seconds=options.check_every,
        id="config_watch",
        max_instances=1,
        coalesce=True,
    )
    return watcher


async def attach_telegram(
    runtime: Runtime,
    scheduler: AsyncIOScheduler,
    stack: AsyncExitStack,
    env: Mapping[str, str],
    tuning: Tuning,
) -> TelegramRuntime:
    """Start the bot and schedule delivery; the leader among processes receives updates."""
    from bot.storage.telegram_queries import TelegramStore
    from bot.telegram.runtime import telegram_runtime

    metrics = runtime.metrics
    settings = runtime.config.settings

    def on_delivery(kind: str, latency: float | None) -> None:
        metrics.deliveries.labels(kind).inc()
        if kind == "rate_limited":
            metrics.telegram_429.inc()
        if latency is not None:
            metrics.delivery_latency.observe(latency)

    async def reload() -> str:
        return await runtime.reload_summary(env)

    store = TelegramStore(runtime.store.engine)
    if sqlite_path(settings.database_url) is not None:
        # One daemon per SQLite database (bot.process_lock): every outbox lease still held was
        # taken by a process that died (kill -9), so its alerts go out now, not a lease later.
        expired = await asyncio.to_thread(store.expire_outbox_leases, utc_now())
        log.info("delivery.leases_expired", extra={"rows": expired})
    leadership = UpdatesLeadership(runtime.store.engine)
    stack.callback(leadership.release)
    leader = await asyncio.to_thread(leadership.is_leader)
    tg = await stack.enter_async_context(
        telegram_runtime(
            settings.telegram,
            store,
            topics=lambda: runtime.config.topics,
            clock=utc_now,
            owner=runtime.owner,
            fetcher=runtime.fetcher,
            parse=runtime.poller.parse_fetched,
            reload=reload,
            models=lambda: models_message(model_statuses(runtime)),
            on_delivery=on_delivery,
            source_interval_s=settings.polling.interval,
            discovery_budget_s=tuning.discovery_budget_s,
            receive_updates=leader,
            options=DeliveryOptions(
                link_previews=settings.telegram.link_previews,
                short_retry_after_s=tuning.short_retry_after_s,
                first_retry_s=tuning.delivery_first_retry_s,
            ),
            start_retry_s=tuning.telegram_start_retry_s,
            scorer=lambda: runtime.poller.scorer,
        )
    )

    async def keep_leadership() -> None:
        await tg.set_receiving(await asyncio.to_thread(leadership.is_leader))

    ticks: set[asyncio.Task[Any]] = set()

    async def deliver() -> None:
        # Shielded: the scheduler's shutdown cancels running jobs, and a tick cancelled between
        # leasing rows and queueing them would leave them 'sending' until their lease expires.
        tick = asyncio.ensure_future(tg.deliver_tick())
        ticks.add(tick)
        tick.add_done_callback(ticks.discard)
        await asyncio.shield(tick)

    async def finish_delivery_tick() -> None:
        # A tick caught mid-claim at shutdown would queue rows after the worker drained.
        if ticks:
            await asyncio.wait(set(ticks), timeout=2)

    stack.push_async_callback(finish_delivery_tick)  # runs before the bot stops (LIFO)
    scheduler.add_job(
        deliver,
        "interval",
        seconds=TICK_SECONDS,
        id="deliver",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        keep_leadership,
        "interval",
        seconds=tuning.leadership_check_s,  # a dead leader is replaced within this
        id="leadership",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        tg.briefing_tick,
        "interval",
        seconds=BRIEFING_TICK_S,
        id="briefings",
        max_instances=1,
        coalesce=True,
    )
    return tg


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`; the daemon then winds down within 10 s."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
