"""Admin commands: list, add, pause and remove sources, reload config, and the topics' text
models (admin user ids only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseHandler, CommandHandler

from bot.core.arguments import parse_id
from bot.core.models import FetchResult, ParsedFeed
from bot.core.render import esc, shorten
from bot.core.sanitize import clean_line
from bot.core.weburl import web_url_problem
from bot.errors import FetchError
from bot.services.discovery import discover_feed, parse_off_loop
from bot.services.parse_jobs import ParsedEntries, ParseJob
from bot.services.ports import Fetcher
from bot.services.source_health import WatchedSource
from bot.settings.tuning import DISCOVERY_BUDGET_S
from bot.telegram.commands import Context, reply
from bot.telegram.sender import retry_after_seconds

log = logging.getLogger("narcowatch.telegram.admin")

ADMINS_ONLY = "This command is for narcowatch admins."
USAGE = {
    "addsource": "/addsource &lt;url&gt; [name]",
    "pausesource": "/pausesource &lt;id&gt; [resume]",
    "rmsource": "/rmsource &lt;id&gt;",
}


class SourceRow(WatchedSource, Protocol):
    @property
    def url(self) -> str: ...


class SourceAdminStore(Protocol):
    """Sources as the admin commands change them."""

    def source_health(self) -> Sequence[SourceRow]: ...
    def add_telegram_source(
        self, *, name: str, url: str, interval_s: float, now: datetime
    ) -> int | None: ...
    def set_source_paused(self, source_id: int, paused: bool) -> bool: ...
    def remove_source(self, source_id: int) -> bool: ...


class AdminCommands:
    """Handlers for /sources, /addsource, /pausesource, /rmsource, /reload and /models."""

    def __init__(
        self,
        store: SourceAdminStore,
        *,
        admins: Sequence[int],
        fetcher: Fetcher | None,
        reload: Callable[[], Awaitable[str]] | None,
        parse: Callable[[ParseJob], Awaitable[ParsedEntries]] | None = None,
        models: Callable[[], str] | None = None,
        allow_private: bool,
        interval_s: float,
        clock: Callable[[], datetime],
        discovery_budget_s: float = DISCOVERY_BUDGET_S,
    ) -> None:
        self.store = store
        self.admins = frozenset(admins)
        self.fetcher = fetcher
        self.parse = parse
        self.reload_config = reload
        self.describe_models = models
        """The /models answer (Telegram HTML), read from files and the database: blocking."""
        self.allow_private = allow_private
        self.interval_s = interval_s
        self.clock = clock
        self.discovery_budget_s = discovery_budget_s

    async def _parse_fetched(self, result: FetchResult) -> ParsedFeed:
        """Parse a fetched body off the event loop, within the budget when the daemon's worker
        pool is there (`parse`), else in a thread."""
        if self.parse is None:
            return await parse_off_loop(result)
        parsed = await self.parse(ParseJob(result.body, result.url, result.content_type))
        items = tuple(entry.item for entry in parsed.entries)
        return ParsedFeed(items=items, title=parsed.title, warning=parsed.warning)

    def is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.admins

    async def sources(self, update: Update, context: Context) -> None:
        """List every source with its state."""
        if not self.is_admin(update):
            await reply(update, ADMINS_ONLY)
            return
        rows = await asyncio.to_thread(self.store.source_health)
        lines = [f"<b>{len(rows)} sources</b>"]
        for row in rows:
            state = "removed" if not row.enabled else "paused" if row.paused else "ok"
            if row.enabled and row.consecutive_failures:
                error = esc(shorten(row.last_error or "?", 80))
                state = f"failing ×{row.consecutive_failures}: {error}"
            if row.health_reported:
                state = f"⚠️ {state} (reported unhealthy)"
            lines.append(f"{row.id}. {esc(shorten(row.name, 60))} — {state}")
        await reply(update, "\n".join(lines)[:4000])

    async def addsource(self, update: Update, context: Context) -> None:
        """Test-fetch a feed URL (or find the feed a site's page links) and add it as a source."""
        if not self.is_admin(update):
            await reply(update, ADMINS_ONLY)
            return
        args = list(context.args or ())
        url = args[0] if args else ""
        problem = web_url_problem(url) if url else "no URL given"
        if problem is not None:
            await reply(update, f"Usage: {USAGE['addsource']} ({esc(problem)})")
            return
        await reply(update, await self._add(url, " ".join(args[1:]).strip()))

    async def _add(self, url: str, name: str) -> str:
        if self.fetcher is None:
            return "Adding sources is not available in this process."
        try:
            # Untrusted: the fetcher checks every address it connects to, redirects included,
            # for the page and for every feed address discovery tries.
            discovery = await discover_feed(
                self.fetcher,
                url,
                allow_private=self.allow_private,
                parse=self._parse_fetched,
                budget_s=self.discovery_budget_s,
            )
        except FetchError as exc:
            return f"Not added: {esc(shorten(str(exc), 300))}"
        if discovery.feed is None:
            why = discovery.tried[-1][1] if discovery.tried else "no feed"
            return f"Not added: no feed found at this address ({esc(shorten(why, 200))})."
        found, feed = discovery.feed, discovery.feed.parsed
        via = "" if found.url == url else f" Feed found at {esc(found.url)} ({esc(found.how)})."
        url = found.url
        name = shorten(clean_line(name or feed.title or "") or urlsplit(url).hostname or url, 200)
        new_id = await asyncio.to_thread(
            self.store.add_telegram_source,
            name=name,
            url=url,
            interval_s=self.interval_s,
            now=self.clock(),
        )
        if new_id is None:
            return f"Not added: a source named <b>{esc(name)}</b> exists already."
        return f"Added source {new_id}. <b>{esc(name)}</b> ({len(feed.items)} items now).{via}"

    async def pausesource(self, update: Update, context: Context) -> None:
        """Pause a source (or resume it with `resume`)."""
        if not self.is_admin(update):
            await reply(update, ADMINS_ONLY)
            return
        args = list(context.args or ())
        source_id = parse_id(args[0]) if args else None
        if source_id is None or args[1:] not in ([], ["resume"]):
            await reply(update, "Usage: " + USAGE["pausesource"])
            return
        resume = args[1:] == ["resume"]
        found = await asyncio.to_thread(self.store.set_source_paused, source_id, not resume)
        done = "resumed" if resume else "paused"
        await reply(update, f"Source {source_id} {done}." if found else f"No source {source_id}.")

    async def rmsource(self, update: Update, context: Context) -> None:
        """Remove a source (its history is kept)."""
        if not self.is_admin(update):
            await reply(update, ADMINS_ONLY)
            return
        args = list(context.args or ())
        source_id = parse_id(args[0]) if len(args) == 1 else None
        if source_id is None:
            await reply(update, "Usage: " + USAGE["rmsource"])
            return
        found = await asyncio.to_thread(self.store.remove_source, source_id)
        await reply(update, f"Source {source_id} removed." if found else f"No source {source_id}.")

    async def reload(self, update: Update, context: Context) -> None:
        """Reload the config and topic files."""
        if not self.is_admin(update):
            await reply(update, ADMINS_ONLY)
            return
        if self.reload_config is None:
            await reply(update, "Reloading is not available in this process.")
            return
        try:
            summary = await self.reload_config()
        except Exception as exc:  # a bad config file is reported, the running config stays
            await reply(
                update, f"Reload failed; still running the old config.\n{esc(str(exc)[:3500])}"
            )
            return
        await reply(update, esc(summary[:3500]))

    async def models(self, update: Update, context: Context) -> None:
        """Each topic's text model, where it came from, and the verdicts waiting for it."""
        if not self.is_admin(update):
            await reply(update, ADMINS_ONLY)
            return
        if self.describe_models is None:
            await reply(update, "The text models are not known to this process.")
            return
        await reply(update, (await asyncio.to_thread(self.describe_models))[:4000])

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """A CommandHandler per admin command."""
        return [
            CommandHandler("sources", self.sources),
            CommandHandler("addsource", self.addsource),
            CommandHandler("pausesource", self.pausesource),
            CommandHandler("rmsource", self.rmsource),
            CommandHandler("reload", self.reload),
            CommandHandler("models", self.models),
        ]


ADMIN_SEND_GAP_S = 1.1  # Telegram allows about one message per second to a chat


async def send_to_admins(bot: Bot, admins: Sequence[int], messages: Sequence[str]) -> bool:
    """Send HTML messages to each admin's private chat (chat id = user id).

    True when at least one admin got them all, or when no admin can be reached for good (never
    started the bot, blocked it): retrying would not help. False when only transient errors
    (network, 5xx, rate limits) kept every admin from getting them, so the caller retries later.
    """
    told = unreachable = 0
    for admin in admins:
        try:
            for index, text in enumerate(messages):
                if index:
                    await asyncio.sleep(ADMIN_SEND_GAP_S)
                await _send_once_more_after_retry_after(bot, admin, text)
            told += 1
        except (Forbidden, BadRequest) as exc:
            unreachable += 1
            log.warning("admin.unreachable", extra={"admin": admin, "error": str(exc)})
        except TelegramError as exc:
            log.warning("admin.send_failed", extra={"admin": admin, "error": str(exc)})
    return told > 0 or unreachable == len(admins)


async def _send_once_more_after_retry_after(bot: Bot, chat_id: int, text: str) -> None:
    for attempt in (1, 2):
        try:
            await bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if attempt == 2 or wait > 30:
                raise
            await asyncio.sleep(wait)
