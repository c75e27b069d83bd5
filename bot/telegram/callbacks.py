"""Inline button presses: subscribe to a topic, feedback on an alert, mute an alert's source."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.arguments import parse_id
from bot.services.subscriptions import ChatRef, Subscriptions
from bot.telegram.commands import ADMIN_ONLY, Context, may_change_settings, reply

STALE = "This button no longer works."
VERDICTS = {"r": ("relevant", "Thanks: marked relevant."), "n": ("not_relevant", "Thanks: noted.")}


def pressed_in(update: Update) -> ChatRef | None:
    """The chat and thread of the message whose button was pressed."""
    query = update.callback_query
    if query is None or query.message is None:
        return None
    message = query.message
    chat = message.chat
    thread_id = None
    if getattr(message, "is_topic_message", False):
        thread_id = getattr(message, "message_thread_id", None)
    return ChatRef(id=chat.id, type=chat.type, title=chat.title, thread_id=thread_id)


class ButtonPresses:
    """Handlers for our inline buttons; unknown or stale data is answered, never raised."""

    def __init__(self, service: Subscriptions) -> None:
        self.service = service

    async def subscribe(self, update: Update, context: Context) -> None:
        """Subscribe the chat to the pressed topic."""
        query = update.callback_query
        chat = pressed_in(update)
        assert query is not None
        if chat is None or query.data is None:
            await query.answer()
            return
        if not await may_change_settings(update, context):
            await query.answer(ADMIN_ONLY, show_alert=True)
            return
        topic = query.data.removeprefix("sub:")
        text = await asyncio.to_thread(self.service.subscribe, chat, topic)
        await query.answer("Done")
        await reply(update, text)

    async def feedback(self, update: Update, context: Context) -> None:
        """Store a user's relevant / not relevant verdict on an alert."""
        query = update.callback_query
        chat = pressed_in(update)
        assert query is not None
        parts = (query.data or "").split(":")
        match_id = parse_id(parts[2]) if len(parts) == 3 else None
        if chat is None or match_id is None or parts[1] not in VERDICTS:
            await query.answer(STALE)
            return
        verdict, thanks = VERDICTS[parts[1]]
        recorded = await asyncio.to_thread(
            self.service.feedback, chat.id, query.from_user.id, match_id, verdict
        )
        await query.answer(thanks if recorded else STALE)

    async def mute_source(self, update: Update, context: Context) -> None:
        """Stop this chat's alerts from the alert's source."""
        query = update.callback_query
        chat = pressed_in(update)
        assert query is not None
        source = parse_id((query.data or "").removeprefix("ms:"))
        if chat is None or source is None:
            await query.answer(STALE)
            return
        if not await may_change_settings(update, context):
            await query.answer(ADMIN_ONLY, show_alert=True)
            return
        if not await asyncio.to_thread(self.service.mute_source, chat, source):
            await query.answer(STALE)  # no such source (a forged button), or too many muted
            return
        await query.answer("Muted: no more alerts from this source here.")

    async def unknown(self, update: Update, context: Context) -> None:
        """Any other button (from an older version): say so instead of spinning."""
        if update.callback_query is not None:
            await update.callback_query.answer(STALE)

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """A CallbackQueryHandler per kind of button, by callback data prefix."""
        return [
            CallbackQueryHandler(self.subscribe, pattern=r"^sub:"),
            CallbackQueryHandler(self.feedback, pattern=r"^fb:"),
            CallbackQueryHandler(self.mute_source, pattern=r"^ms:"),
            CallbackQueryHandler(self.unknown),
        ]
