"""/stats and /briefing: ask the briefing service, send what bot.drawing makes of the answer."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.briefing.build import PERIODS, parse_period
from bot.core.render import esc
from bot.drawing.charts import briefing_png
from bot.drawing.messages import caption, quiet_line
from bot.services.briefing import BRIEFING_USAGE, Briefings
from bot.services.subscriptions import Subscriptions
from bot.telegram.commands import ADMIN_ONLY, Context, chat_ref, may_change_settings, reply

STATS_USAGE = f"/stats [{'|'.join(PERIODS)}]"
NO_TOPICS = "This chat follows no topics yet: /subscribe to one first."


class BriefingCommands:
    """Handlers for /stats (a picture now) and /briefing (a picture on a schedule)."""

    def __init__(self, briefings: Briefings, subscriptions: Subscriptions) -> None:
        self.briefings = briefings
        self.subscriptions = subscriptions

    async def stats(self, update: Update, context: Context) -> None:
        """Send this chat's picture of the last 7, 30 or 90 days, with totals as caption."""
        args = list(context.args or ())
        try:
            if len(args) > 1:
                raise ValueError("one period at most")
            days = parse_period(args[0] if args else None)
        except ValueError as exc:
            await reply(update, f"{esc(str(exc))}. Usage: {esc(STATS_USAGE)}")
            return
        chat = chat_ref(update)
        briefing = await asyncio.to_thread(self.briefings.stats, chat.id, days)
        if not briefing.topics:
            await reply(update, NO_TOPICS)
            return
        if briefing.total == 0:
            await reply(update, quiet_line(briefing))
            return
        png = await asyncio.to_thread(briefing_png, briefing)
        message = update.effective_message
        if message is not None:
            await message.reply_photo(
                photo=png, caption=caption(briefing), parse_mode=ParseMode.HTML, do_quote=False
            )

    async def briefing(self, update: Update, context: Context) -> None:
        """Schedule (or stop) this chat's daily or weekly briefing."""
        args = list(context.args or ())
        if not args:
            now = await asyncio.to_thread(self.briefings.current, chat_ref(update).id)
            await reply(update, f"Briefing: {esc(now)}.\nUsage: {esc(BRIEFING_USAGE)}")
            return
        if not await may_change_settings(update, context):
            await reply(update, ADMIN_ONLY)
            return
        chat = chat_ref(update)
        await asyncio.to_thread(self.subscriptions.register, chat)
        text = await asyncio.to_thread(self.briefings.set_schedule, chat.id, args)
        await reply(update, esc(text))

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """A CommandHandler per command."""
        return [
            CommandHandler("stats", self.stats),
            CommandHandler("briefing", self.briefing),
        ]
