"""PTB errors become our delivery errors at the boundary, with the bot token scrubbed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.errors import (
    ChatGoneError,
    RateLimitedDeliveryError,
    RejectedMessageError,
    TransientDeliveryError,
)
from bot.telegram.runtime import file_url_for
from bot.telegram.sender import translate

TOKEN = "123456789:AAsecretSECRETsecretSECRETsecret00"


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


ERRORS = [
    (lambda: RetryAfter(timedelta(seconds=7)), RateLimitedDeliveryError),
    (lambda: Forbidden("Forbidden: bot was blocked by the user"), ChatGoneError),
    (lambda: BadRequest("Bad Request: chat not found"), ChatGoneError),
    (lambda: ChatMigrated(-1001), ChatGoneError),
    (lambda: BadRequest("Bad Request: can't parse entities: bad tag"), RejectedMessageError),
    (lambda: BadRequest("Bad Request: message is too long"), RejectedMessageError),
    (lambda: NetworkError("Bad Gateway"), TransientDeliveryError),
    (lambda: TimedOut(), TransientDeliveryError),
]


@pytest.mark.parametrize(("make", "expected"), ERRORS)
def test_errors_map_to_what_the_worker_does_next(
    make: Callable[[], TelegramError], expected: type
) -> None:
    """Each Telegram failure maps to retry-after, chat gone, plain fallback or retry."""
    assert isinstance(translate(make(), TOKEN), expected)


def test_retry_after_keeps_the_wait() -> None:
    """The seconds Telegram asked for travel with the error."""
    translated = translate(RetryAfter(timedelta(seconds=7)), TOKEN)
    assert isinstance(translated, RateLimitedDeliveryError)
    assert translated.retry_after == 7.0


def test_token_never_appears_in_a_translated_message() -> None:
    """An error text that quotes the API URL loses the token."""
    error = NetworkError(f"httpx.ConnectError: https://api.telegram.org/bot{TOKEN}/sendMessage")
    text = str(translate(error, TOKEN))
    assert TOKEN not in text
    assert "[REDACTED]" in text


def test_file_url_is_derived_from_the_api_url() -> None:
    """`.../bot` becomes `.../file/bot` for self-hosted Bot API servers too."""
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url_for("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
