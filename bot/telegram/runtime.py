"""The Telegram side of the daemon: the PTB application in our own loop, and the delivery worker.

No run_polling, JobQueue or persistence: our scheduler ticks `deliver_tick()` and the database
holds every alert. The bot token is only ever handed to PTB, never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.errors import ConfigError, Problem
from bot.fetch.tls import tls_context
from bot.services.borderline import CandidateStore, NearMisses
from bot.services.briefing import Briefings, BriefingStore
from bot.services.delivery import DeliveryWorker
from bot.services.delivery_jobs import DeliveryOptions
from bot.services.delivery_ports import DeliveryStore
from bot.services.misses import MissReports, MissStore
from bot.services.parse_jobs import ParsedEntries, ParseJob
from bot.services.ports import Fetcher, Scorer
from bot.services.search import ChatSearch, SearchStore
from bot.services.subscriptions import ChatStore, Subscriptions, Topic
from bot.settings.model import TelegramSettings
from bot.settings.tuning import DISCOVERY_BUDGET_S, TELEGRAM_START_RETRY_S
from bot.telegram.admin import AdminCommands, SourceAdminStore, SourceRow, send_to_admins
from bot.telegram.briefing_cmds import BriefingCommands
from bot.telegram.briefing_job import BriefingJob, BriefingRunStore
from bot.telegram.callbacks import ButtonPresses
from bot.telegram.commands import UserCommands
from bot.telegram.search_cmds import SearchCommands
from bot.telegram.sender import TelegramSender
from bot.telegram.updates import PerChatUpdates

log = logging.getLogger("narcowatch.telegram")

BOT_COMMANDS = (
    ("start", "What this bot does; pick topics"),
    ("help", "All commands"),
    ("topics", "Topics you can follow"),
    ("subscribe", "Follow a topic"),
    ("unsubscribe", "Stop following a topic"),
    ("threshold", "Minimum score, 0..1"),
    ("mute", "Pause alerts, e.g. /mute 2h"),
    ("unmute", "Resume alerts"),
    ("digest", "off, hourly or daily"),
    ("quiet", "Quiet hours, e.g. /quiet 22:00-07:00"),
    ("recent", "Your latest alerts"),
    ("why", "Why an alert matched"),
    ("search", "Search stored items, e.g. /search 禁毒合作 30d"),
    ("borderline", "Stored items that nearly matched your topics"),
    ("missed", "Report a stored item your topic should have matched"),
    ("where", "Only alerts from some countries or regions"),
    ("status", "This chat's settings"),
    ("stats", "A picture of the last 7d, 30d or 90d"),
    ("briefing", "Weekly or daily briefing, e.g. /briefing weekly mon 09:00"),
)


class TelegramStorePort(
    DeliveryStore,
    ChatStore,
    SourceAdminStore,
    BriefingStore,
    BriefingRunStore,
    SearchStore,
    MissStore,
    CandidateStore,
    Protocol,
):
    """Everything the Telegram side stores: `bot.storage.telegram_queries.TelegramStore`."""

    def source_health(self) -> Sequence[SourceRow]: ...


def file_url_for(base_url: str) -> str:
    """The Bot API file URL that goes with a method URL (`.../bot` -> `.../file/bot`)."""
    base = base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(settings: TelegramSettings) -> AnyApplication:
    """A PTB Application for our loop: our base URL, no JobQueue, no persistence; chats'
    updates handled side by side, each chat's in order (bot.telegram.updates)."""
    # PTB's own defaults (a pool of 256 for calls, 1 for getUpdates), with the process's one
    # TLS context instead of a new one per client (bot.fetch.tls).
    tls = {"verify": tls_context(trust_env=True)}
    return (
        ApplicationBuilder()
        .token(settings.token)
        .request(HTTPXRequest(connection_pool_size=256, httpx_kwargs=tls))
        .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls))
        .base_url(settings.api_base_url)
        .base_file_url(file_url_for(settings.api_base_url))
        .job_queue(None)
        .concurrent_updates(PerChatUpdates())
        .build()
    )


def add_handlers(
    application: AnyApplication,
    service: Subscriptions,
    admin: AdminCommands,
    briefings: BriefingCommands | None = None,
    search: SearchCommands | None = None,
) -> None:
    """Every command and button handler, plus an error handler that keeps the bot polite."""
    for handler in [
        *UserCommands(service).handlers(),
        *(briefings.handlers() if briefings is not None else ()),
        *(search.handlers() if search is not None else ()),
        *admin.handlers(),
        *ButtonPresses(service).handlers(),
    ]:
        application.add_handler(handler)
    application.add_error_handler(on_handler_error)


async def on_handler_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a failed handler (its message only) and tell the user, instead of silence."""
    error = context.error
    log.warning(
        "telegram.handler_failed",
        extra={"error": f"{type(error).__name__}: {error}"},
        exc_info=error if not isinstance(error, TelegramError) else None,
    )
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text("Sorry, that failed. Please try again later.")


def on_polling_error(error: TelegramError) -> None:
    log.warning("telegram.polling_failed", extra={"error": f"{type(error).__name__}: {error}"})


async def start_application(application: AnyApplication, *, receive_updates: bool) -> None:
    """initialize (getMe), register the command list, start, and poll for updates."""
    try:
        await application.initialize()
    except TelegramError:
        # python-telegram-bot 22.1 to 22.5 mark the bot initialized before getMe answers, so a
        # second initialize() after a failed one skipped getMe and the bot "started" without
        # Telegram. Shutting the bot down makes the next attempt a real one, in every release.
        await application.bot.shutdown()
        raise
    try:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in BOT_COMMANDS])
    except TelegramError as exc:  # cosmetic: the commands still work without the menu
        log.warning("telegram.set_commands_failed", extra={"error": str(exc)})
    if not application.running:
        await application.start()
    if receive_updates and application.updater is not None:
        await application.updater.start_polling(
            allowed_updates=["message", "callback_query"], error_callback=on_polling_error
        )


HANDLER_GRACE_S = 2.0
"""At stop, how long a running command may take before it is cancelled (SIGTERM: 10 s)."""


async def stop_application(application: AnyApplication) -> None:
    """The reverse of `start_application`, from wherever it got to."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        processor = application.update_processor
        if isinstance(processor, PerChatUpdates):
            await processor.finish(HANDLER_GRACE_S)
        await application.stop()
    await application.shutdown()


async def keep_starting(
    application: AnyApplication,
    ready: asyncio.Event,
    *,
    receive_updates: bool,
    retry_s: float = TELEGRAM_START_RETRY_S,
) -> None:
    """Start the bot, retrying while Telegram or the network is down; alerts wait meanwhile."""
    while True:
        try:
            await start_application(application, receive_updates=receive_updates)
        except InvalidToken:
            log.error("telegram.token_refused")
            return
        except TelegramError as exc:
            log.warning("telegram.start_failed", extra={"error": str(exc), "retry_s": retry_s})
            await asyncio.sleep(retry_s)
            continue
        ready.set()
        log.info("telegram.started", extra={"bot": application.bot.username})
        return


@dataclass
class TelegramRuntime:
    """The running bot: updates are being received; the scheduler calls `deliver_tick()`."""

    application: AnyApplication
    worker: DeliveryWorker
    service: Subscriptions
    ready: asyncio.Event
    admins: tuple[int, ...] = ()
    briefings: BriefingJob | None = None

    async def tell_admins(self, messages: Sequence[str]) -> bool:
        """Send messages to every admin; False when they should be retried later."""
        if not self.admins:
            return True
        if not self.ready.is_set():
            return False  # Telegram not reached yet: the caller keeps the news for later
        return await send_to_admins(self.application.bot, self.admins, messages)

    async def deliver_tick(self) -> None:
        """Send due alerts (the scheduler calls this about once a second)."""
        if self.ready.is_set():
            await self.worker.tick()

    async def briefing_tick(self) -> None:
        """Queue and send due scheduled briefings (the scheduler calls this every 30 s)."""
        if self.ready.is_set() and self.briefings is not None:
            await self.briefings.tick()

    @property
    def receiving(self) -> bool:
        updater = self.application.updater
        return updater is not None and updater.running

    async def set_receiving(self, receive: bool) -> None:
        """Start or stop polling for updates (only the leader among processes receives them)."""
        updater = self.application.updater
        if updater is None or not self.ready.is_set() or receive == updater.running:
            return
        if receive:
            await updater.start_polling(
                allowed_updates=["message", "callback_query"], error_callback=on_polling_error
            )
            log.info("telegram.receiving_updates")
        else:
            await updater.stop()
            log.info("telegram.stopped_receiving_updates")


@asynccontextmanager
async def telegram_runtime(
    settings: TelegramSettings,
    store: TelegramStorePort,
    *,
    topics: Callable[[], Sequence[Topic]],
    clock: Callable[[], datetime],
    owner: str,
    fetcher: Fetcher | None = None,
    parse: Callable[[ParseJob], Awaitable[ParsedEntries]] | None = None,
    reload: Callable[[], Awaitable[str]] | None = None,
    models: Callable[[], str] | None = None,
    on_delivery: Callable[[str, float | None], None] | None = None,
    source_interval_s: float = 900.0,
    discovery_budget_s: float = DISCOVERY_BUDGET_S,
    options: DeliveryOptions | None = None,
    receive_updates: bool = True,
    start_retry_s: float = TELEGRAM_START_RETRY_S,
    scorer: Callable[[], Scorer | None] = lambda: None,
) -> AsyncIterator[TelegramRuntime]:
    """Run the bot for the body of the `async with`; stop it (and hand back unsent rows) after.

    Raises ConfigError when Telegram refuses the token. When Telegram cannot be reached the
    bot keeps trying in the background and alerts stay in the outbox until it can.
    """
    # PTB 22 warns on every int-valued time attribute unless opted in to timedeltas; our code
    # reads both forms (see sender.retry_after_seconds).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    application = build_application(settings)
    service = Subscriptions(store, topics, clock)
    admin = AdminCommands(
        store,
        admins=settings.admins,
        fetcher=fetcher,
        parse=parse,
        reload=reload,
        models=models,
        allow_private=settings.allow_private_sources,
        interval_s=source_interval_s,
        clock=clock,
        discovery_budget_s=discovery_budget_s,
    )
    briefings = Briefings(store, clock)
    add_handlers(
        application,
        service,
        admin,
        BriefingCommands(briefings, service),
        SearchCommands(
            ChatSearch(store, clock),
            service,
            MissReports(store, clock),
            NearMisses(store, scorer, clock),
        ),
    )
    sender = TelegramSender(application.bot)
    worker = DeliveryWorker(
        store,
        sender,
        owner=owner,
        clock=clock,
        options=options or DeliveryOptions(link_previews=settings.link_previews),
        on_result=on_delivery,
    )
    briefing_job = BriefingJob(store, briefings, sender, worker.limiter, owner=owner, clock=clock)
    runtime = TelegramRuntime(
        application, worker, service, asyncio.Event(), settings.admins, briefing_job
    )
    try:
        await start_application(application, receive_updates=receive_updates)
        runtime.ready.set()
        starter: asyncio.Task[None] | None = None
    except InvalidToken as exc:
        await stop_application(application)
        raise ConfigError(
            [Problem("telegram.token", None, "Telegram refused the bot token")]
        ) from exc
    except TelegramError as exc:
        log.warning("telegram.start_failed", extra={"error": str(exc), "retry_s": start_retry_s})
        starter = asyncio.create_task(
            keep_starting(
                application, runtime.ready, receive_updates=receive_updates, retry_s=start_retry_s
            )
        )
    try:
        yield runtime
    finally:
        if starter is not None:
            starter.cancel()
            await asyncio.gather(starter, return_exceptions=True)
        await worker.drain(grace_s=3.0)
        await stop_application(application)
