"""The subscriber commands (/start ... /status): parse the update, call the use case, reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import RetryAfter
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.services.subscriptions import USAGE, ChatRef, Subscriptions
from bot.telegram.sender import retry_after_seconds

Context = ContextTypes.DEFAULT_TYPE
ADMIN_ONLY = "Only this group's administrators can change its alert settings."
_MAX_CALLBACK_BYTES = 64
REPLY_WAIT_MAX_S = 5.0
Setter = Callable[[ChatRef, str], str]


def chat_ref(update: Update) -> ChatRef:
    """The chat (and forum thread) an update came from."""
    chat = update.effective_chat
    message = update.effective_message
    assert chat is not None
    thread_id = None
    if message is not None and message.is_topic_message:
        thread_id = message.message_thread_id
    title = chat.title or chat.full_name
    return ChatRef(id=chat.id, type=chat.type, title=title, thread_id=thread_id)


async def may_change_settings(update: Update, context: Context) -> bool:
    """In private chats anyone; in groups only administrators (asked of Telegram each time)."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous administrator posts as the group
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the same chat and thread, as HTML without link previews."""
    message = update.effective_message
    if message is None:
        return
    for attempt in (1, 2):
        try:
            await message.reply_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                do_quote=False,
            )
            return
        except RetryAfter as exc:
            # A user typing fast trips the per-chat limit: wait a moment once, as asked.
            wait = retry_after_seconds(exc)
            if attempt == 2 or wait > REPLY_WAIT_MAX_S:
                raise
            await asyncio.sleep(wait)


def topic_buttons(service: Subscriptions) -> InlineKeyboardMarkup | None:
    """One button per topic; pressing it subscribes the chat."""
    rows = [
        [InlineKeyboardButton(title[:60], callback_data=f"sub:{topic_id}")]
        for topic_id, title in service.known_topics().items()
        if len(f"sub:{topic_id}".encode()) <= _MAX_CALLBACK_BYTES
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def first_arg(args: Sequence[str] | None) -> str | None:
    return args[0] if args else None


class UserCommands:
    """Handlers for the commands every chat may use."""

    def __init__(self, service: Subscriptions) -> None:
        self.service = service

    async def start(self, update: Update, context: Context) -> None:
        """Register the chat, explain the bot and offer the topics."""
        text = await asyncio.to_thread(self.service.start, chat_ref(update))
        await reply(update, text, topic_buttons(self.service))

    async def help(self, update: Update, context: Context) -> None:
        """List the commands and their usage."""
        await reply(update, self.service.help())

    async def topics(self, update: Update, context: Context) -> None:
        """List the topics, marking those this chat follows."""
        text = await asyncio.to_thread(self.service.list_topics, chat_ref(update))
        await reply(update, text, topic_buttons(self.service))

    async def subscribe(self, update: Update, context: Context) -> None:
        """Follow a topic; without an argument, offer the topics as buttons."""
        topic = first_arg(context.args)
        if topic is None:
            await reply(update, "Pick a topic:\n" + USAGE["subscribe"], topic_buttons(self.service))
            return
        if not await may_change_settings(update, context):
            await reply(update, ADMIN_ONLY)
            return
        await reply(
            update, await asyncio.to_thread(self.service.subscribe, chat_ref(update), topic)
        )

    async def unsubscribe(self, update: Update, context: Context) -> None:
        """Stop following a topic."""
        topic = first_arg(context.args)
        if topic is None:
            await reply(update, "Usage: " + USAGE["unsubscribe"])
            return
        if await may_change_settings(update, context):
            text = await asyncio.to_thread(self.service.unsubscribe, chat_ref(update), topic)
            await reply(update, text)
        else:
            await reply(update, ADMIN_ONLY)

    async def threshold(self, update: Update, context: Context) -> None:
        """Set the minimum score of this chat's alerts."""
        await self._setting(update, context, "threshold", self.service.threshold)

    async def mute(self, update: Update, context: Context) -> None:
        """Stop alerts for a while."""
        await self._setting(update, context, "mute", self.service.mute)

    async def digest(self, update: Update, context: Context) -> None:
        """Switch between single alerts and hourly/daily digests."""
        await self._setting(update, context, "digest", self.service.digest)

    async def unmute(self, update: Update, context: Context) -> None:
        """Resume alerts."""
        if await may_change_settings(update, context):
            await reply(update, await asyncio.to_thread(self.service.unmute, chat_ref(update)))
        else:
            await reply(update, ADMIN_ONLY)

    async def quiet(self, update: Update, context: Context) -> None:
        """Set or clear quiet hours (alerts wait until they end)."""
        if await may_change_settings(update, context):
            args = list(context.args or ())
            await reply(update, await asyncio.to_thread(self.service.quiet, chat_ref(update), args))
        else:
            await reply(update, ADMIN_ONLY)

    async def recent(self, update: Update, context: Context) -> None:
        """Show this chat's latest alerts."""
        args = list(context.args or ())
        await reply(update, await asyncio.to_thread(self.service.recent, chat_ref(update), args))

    async def why(self, update: Update, context: Context) -> None:
        """Explain why an alert matched."""
        alert_id = first_arg(context.args)
        if alert_id is None:
            await reply(update, "Usage: " + USAGE["why"])
            return
        await reply(update, await asyncio.to_thread(self.service.why, chat_ref(update), alert_id))

    async def where(self, update: Update, context: Context) -> None:
        """Show, set or clear the places this chat follows (/where Central Asia, China)."""
        text = " ".join(context.args or ())
        if text and not await may_change_settings(update, context):
            await reply(update, ADMIN_ONLY)
            return
        await reply(update, await asyncio.to_thread(self.service.where, chat_ref(update), text))

    async def status(self, update: Update, context: Context) -> None:
        """Show this chat's settings and the backlog."""
        await reply(update, await asyncio.to_thread(self.service.status, chat_ref(update)))

    async def _setting(self, update: Update, context: Context, name: str, change: Setter) -> None:
        arg = first_arg(context.args)
        if arg is None or len(context.args or ()) > 1:
            await reply(update, "Usage: " + USAGE[name])
            return
        if not await may_change_settings(update, context):
            await reply(update, ADMIN_ONLY)
            return
        await reply(update, await asyncio.to_thread(change, chat_ref(update), arg))

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """A CommandHandler per command."""
        return [
            CommandHandler("start", self.start),
            CommandHandler("help", self.help),
            CommandHandler("topics", self.topics),
            CommandHandler("subscribe", self.subscribe),
            CommandHandler("unsubscribe", self.unsubscribe),
            CommandHandler("threshold", self.threshold),
            CommandHandler("mute", self.mute),
            CommandHandler("unmute", self.unmute),
            CommandHandler("digest", self.digest),
            CommandHandler("quiet", self.quiet),
            CommandHandler("recent", self.recent),
            CommandHandler("why", self.why),
            CommandHandler("where", self.where),
            CommandHandler("status", self.status),
        ]
