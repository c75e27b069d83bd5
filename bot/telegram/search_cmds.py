"""/search, /borderline and /missed: any member of a chat may search the stored items, list
those that nearly matched its topics, and report one that a topic the chat follows should
have matched; the reply goes to the chat."""

from __future__ import annotations

import asyncio
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services.borderline import NearMisses
from bot.services.misses import BUTTON_PREFIX, MissReply, MissReports, parse_choice
from bot.services.misses import COMMAND as MISSED
from bot.services.search import ChatSearch
from bot.services.subscriptions import Subscriptions
from bot.telegram.callbacks import STALE, pressed_in
from bot.telegram.commands import Context, chat_ref, reply

# /missed_123 (as search results print it; @botname is added in groups when tapped).
_TAPPED = re.compile(rf"^/{MISSED}_(\d{{1,19}})(?:@\w+)?$")


class SearchCommands:
    """The handlers of /search and /missed (neither changes the chat's settings, so neither is
    for group administrators alone)."""

    def __init__(
        self,
        search: ChatSearch,
        subscriptions: Subscriptions,
        misses: MissReports,
        near: NearMisses,
    ) -> None:
        self.search_service = search
        self.subscriptions = subscriptions
        self.misses = misses
        self.near = near

    async def search(self, update: Update, context: Context) -> None:
        """Find stored items by their words: /search <words> [Nd]."""
        message = update.effective_message
        # The raw text, not context.args: a quoted phrase keeps its spaces.
        parts = (message.text or "").split(None, 1) if message is not None else []
        words = parts[1] if len(parts) > 1 else ""
        chat = await asyncio.to_thread(self.subscriptions.register, chat_ref(update))
        followed = await asyncio.to_thread(self.subscriptions.followed, chat.id)
        answer = await asyncio.to_thread(self.search_service.search, words, chat, followed)
        await reply(update, answer)

    async def borderline(self, update: Update, context: Context) -> None:
        """The stored items that nearly matched the chat's topics: /borderline [Nd]."""
        chat = await asyncio.to_thread(self.subscriptions.register, chat_ref(update))
        followed = await asyncio.to_thread(self.subscriptions.followed, chat.id)
        arg = " ".join(context.args or [])
        answer = await asyncio.to_thread(self.near.reply, followed, chat.muted_sources, arg)
        await reply(update, answer)

    async def missed(self, update: Update, context: Context) -> None:
        """Report a stored item as missed: /missed <item> [topic], or /missed_<item>."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:  # a channel post has no user to count
            return
        tapped = _TAPPED.match(message.text or "")
        args = [tapped.group(1)] if tapped else list(context.args or [])
        chat = await asyncio.to_thread(self.subscriptions.register, chat_ref(update))
        answer = await asyncio.to_thread(self.misses.report, chat.id, user.id, args)
        await reply(update, answer.text, markup(answer))

    async def missed_choice(self, update: Update, context: Context) -> None:
        """The topic button of a /missed that had several to choose from."""
        query = update.callback_query
        assert query is not None
        args = parse_choice(query.data or "")
        pressed = pressed_in(update)
        if not args or pressed is None:
            await query.answer(STALE)
            return
        chat = await asyncio.to_thread(self.subscriptions.register, pressed)
        answer = await asyncio.to_thread(self.misses.report, chat.id, query.from_user.id, args)
        await query.answer()
        await reply(update, answer.text, markup(answer))

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """A handler per command (/missed_<item> is one word, so not a CommandHandler's)."""
        return [
            CommandHandler("search", self.search),
            CommandHandler("borderline", self.borderline),
            CommandHandler(MISSED, self.missed),
            MessageHandler(filters.Regex(_TAPPED), self.missed),
            CallbackQueryHandler(self.missed_choice, pattern=f"^{BUTTON_PREFIX}"),
        ]


def markup(answer: MissReply) -> InlineKeyboardMarkup | None:
    """A button per topic to choose from, one per row."""
    rows = [[InlineKeyboardButton(b.text, callback_data=b.data)] for b in answer.choices]
    return InlineKeyboardMarkup(rows) if rows else None
