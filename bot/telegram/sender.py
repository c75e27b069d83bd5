"""Sends messages with python-telegram-bot and turns its errors into our delivery errors."""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.core.render import Button
from bot.errors import (
    ChatGoneError,
    DeliveryError,
    RateLimitedDeliveryError,
    RejectedMessageError,
    TransientDeliveryError,
)
from bot.services.delivery_ports import OutgoingMessage

# BadRequest descriptions that mean the chat itself is unusable, not the message.
_CHAT_GONE = ("chat not found", "bot was kicked", "not enough rights", "have no rights")
_THREAD_GONE = "message thread not found"
# editMessageText answers: the text is already so (a success), or the message cannot be edited
# any more (deleted, too old, never ours): retrying would only loop.
_NOT_MODIFIED = "message is not modified"
_MESSAGE_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "message not found",
)


def keyboard(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Our pure buttons as Telegram's inline keyboard."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in buttons]
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whether PTB gives it as int or timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def translate(exc: TelegramError, token: str) -> DeliveryError:
    """The delivery error for a PTB error; the token is scrubbed from every message."""
    text = str(exc).replace(token, "[REDACTED]") if token else str(exc)
    lowered = text.lower()
    if isinstance(exc, RetryAfter):
        return RateLimitedDeliveryError(text, retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return ChatGoneError(f"forbidden: {text}")
    if isinstance(exc, ChatMigrated):
        return ChatGoneError(f"group became supergroup {exc.new_chat_id}; /start it again there")
    if isinstance(exc, BadRequest):  # a subclass of NetworkError, so it is checked first
        if any(marker in lowered for marker in _CHAT_GONE):
            return ChatGoneError(f"bad request: {text}")
        return RejectedMessageError(f"bad request: {text}")
    if isinstance(exc, InvalidToken):
        return TransientDeliveryError(f"token refused: {text}")
    if isinstance(exc, NetworkError):
        return TransientDeliveryError(f"network: {text}")
    return TransientDeliveryError(f"telegram: {text}")


class TelegramSender:
    """The MessageSender the delivery worker uses, over one PTB Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: OutgoingMessage, *, plain: bool = False) -> int:
        """Send one message (HTML, or its plain text); return Telegram's message id."""
        try:
            try:
                return await self._send(message, plain=plain, thread_id=message.thread_id)
            except BadRequest as exc:
                # The forum topic was deleted: the chat still wants its alerts, in General.
                if message.thread_id is None or _THREAD_GONE not in str(exc).lower():
                    raise
                return await self._send(message, plain=plain, thread_id=None)
        except TelegramError as exc:
            raise translate(exc, self.bot.token) from None

    async def _send(self, message: OutgoingMessage, *, plain: bool, thread_id: int | None) -> int:
        sent = await self.bot.send_message(
            chat_id=message.chat_id,
            text=message.plain if plain else message.html,
            parse_mode=None if plain else ParseMode.HTML,
            message_thread_id=thread_id,
            reply_markup=keyboard(message.buttons),
            link_preview_options=LinkPreviewOptions(is_disabled=not message.link_preview),
        )
        return sent.message_id

    async def send_photo(
        self, chat_id: int, png: bytes, caption_html: str, *, thread_id: int | None = None
    ) -> int:
        """Send a PNG (multipart upload) with an HTML caption; return Telegram's message id."""
        try:
            sent = await self.bot.send_photo(
                chat_id=chat_id,
                photo=png,
                caption=caption_html,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
            )
        except TelegramError as exc:
            raise translate(exc, self.bot.token) from None
        return sent.message_id

    async def edit(self, message: OutgoingMessage, message_id: int, *, plain: bool = False) -> bool:
        """Replace message `message_id`'s text and buttons; False when it can't be edited."""
        try:
            await self.bot.edit_message_text(
                chat_id=message.chat_id,
                message_id=message_id,
                text=message.plain if plain else message.html,
                parse_mode=None if plain else ParseMode.HTML,
                reply_markup=keyboard(message.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=not message.link_preview),
            )
        except BadRequest as exc:
            lowered = str(exc).lower()
            if _NOT_MODIFIED in lowered:
                return True
            if any(marker in lowered for marker in _MESSAGE_GONE):
                return False
            raise translate(exc, self.bot.token) from None
        except TelegramError as exc:
            raise translate(exc, self.bot.token) from None
        return True
