"""/search: any member of a chat may search the stored items; the reply goes to the chat."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services.search import ChatSearch
from bot.services.subscriptions import Subscriptions
from bot.telegram.commands import Context, chat_ref, reply


class SearchCommands:
    """The handler of /search (reading only, so not for group administrators alone)."""

    def __init__(self, search: ChatSearch, subscriptions: Subscriptions) -> None:
        self.search_service = search
        self.subscriptions = subscriptions

    async def search(self, update: Update, context: Context) -> None:
        """Find stored items by their words: /search <words> [Nd]."""
        message = update.effective_message
        # The raw text, not context.args: a quoted phrase keeps its spaces.
        parts = (message.text or "").split(None, 1) if message is not None else []
        words = parts[1] if len(parts) > 1 else ""
        chat = await asyncio.to_thread(self.subscriptions.register, chat_ref(update))
        await reply(update, await asyncio.to_thread(self.search_service.search, words, chat))

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """A CommandHandler per command."""
        return [CommandHandler("search", self.search)]
