"""Log set-up: the token redactor, the text and JSON formatters, uncaught exceptions."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from bot.log import JsonFormatter, SecretRedactor, TextFormatter, configure_logging

TOKEN = "123456789:AAfakeTOKENfakeTOKENfakeTOKENfake00"
URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    hooks = sys.excepthook, threading.excepthook
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


def emit(fmt: str, event: str, fields: dict[str, object]) -> str:
    """Log one event through configure_logging into a string and return the output."""
    stream = io.StringIO()
    configure_logging({"NARCOWATCH_LOG_FORMAT": fmt}, secrets=[TOKEN], stream=stream)
    logging.getLogger("narcowatch.test").warning(event, extra=fields)
    return stream.getvalue()


def test_redactor_removes_a_known_token_inside_a_bot_api_url() -> None:
    """The configured token disappears from URLs, also percent-encoded."""
    redactor = SecretRedactor([TOKEN])
    assert redactor.redact(URL) == "https://api.telegram.org/bot[REDACTED]/sendMessage"
    encoded = URL.replace(":", "%3A", 2)
    assert TOKEN.split(":")[1] not in redactor.redact(encoded)


def test_redactor_removes_unknown_token_shaped_strings() -> None:
    """Anything shaped like a bot token is redacted even when it is not the configured one."""
    other = "987654321:BBotherTOKENotherTOKENotherTOKEN99"
    text = SecretRedactor().redact(f"POST http://127.0.0.1/bot{other}/getMe failed")
    assert text == "POST http://127.0.0.1/bot[REDACTED]/getMe failed"


def test_redactor_leaves_ordinary_text_alone() -> None:
    """Times, ids and URLs without tokens are not touched."""
    text = "poll.done at 12:34:56 source=42 url=https://example.org/feed?id=123456:abc"
    assert SecretRedactor([TOKEN]).redact(text) == text


@pytest.mark.usefixtures("restore_logging")
def test_text_lines_have_event_and_fields_with_the_token_redacted() -> None:
    """Text lines read `time LEVEL event key=value`, secrets redacted in message and fields."""
    out = emit("text", "delivery.failed", {"error": f"network: {URL}", "chat_id": 5})
    line = out.strip()
    assert " WARNING delivery.failed " in line
    assert "chat_id=5" in line
    assert "error='network: https://api.telegram.org/bot[REDACTED]/sendMessage'" in line
    assert TOKEN not in out


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_parse_and_redact_nested_fields() -> None:
    """JSON lines carry ts, level, logger, event and fields; lists, dicts and objects are
    redacted too."""
    out = emit(
        "json",
        "telegram.start_failed",
        {"urls": [URL], "detail": {"url": URL}, "error": ValueError(URL), "n": 3},
    )
    payload = json.loads(out)
    assert payload["event"] == "telegram.start_failed"
    assert payload["level"] == "warning"
    assert payload["logger"] == "narcowatch.test"
    assert payload["n"] == 3
    assert payload["urls"] == ["https://api.telegram.org/bot[REDACTED]/sendMessage"]
    assert payload["detail"]["url"].endswith("bot[REDACTED]/sendMessage")
    assert TOKEN not in out


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_tracebacks_are_redacted(fmt: str) -> None:
    """An exception whose message (and whose cause's message) holds the URL is logged redacted."""
    stream = io.StringIO()
    configure_logging({"NARCOWATCH_LOG_FORMAT": fmt}, secrets=[TOKEN], stream=stream)
    try:
        try:
            raise ConnectionError(f"cannot reach {URL}")
        except ConnectionError as inner:
            raise RuntimeError(f"request to {URL} failed") from inner
    except RuntimeError:
        logging.getLogger("narcowatch.test").exception("telegram.crashed")
    out = stream.getvalue()
    assert "Traceback" in out
    assert "ConnectionError: cannot reach https://api.telegram.org/bot[REDACTED]" in out.replace(
        "\\n", "\n"
    )
    assert TOKEN not in out
    assert TOKEN.split(":")[1] not in out


@pytest.mark.usefixtures("restore_logging")
def test_percent_args_are_formatted_before_redaction() -> None:
    """A %-style message with the token in its arguments comes out formatted and redacted."""
    stream = io.StringIO()
    configure_logging({}, secrets=[TOKEN], stream=stream)
    logging.getLogger("telegram.ext.Updater").error("Error while getting Updates: %s", URL)
    out = stream.getvalue()
    assert "Error while getting Updates: https://api.telegram.org/bot[REDACTED]" in out
    assert TOKEN not in out


@pytest.mark.usefixtures("restore_logging")
def test_uncaught_exceptions_in_threads_are_logged_redacted() -> None:
    """An exception escaping a thread becomes a redacted `thread.crashed` event."""
    stream = io.StringIO()
    configure_logging({"NARCOWATCH_LOG_FORMAT": "json"}, secrets=[TOKEN], stream=stream)

    def boom() -> None:
        raise OSError(f"lost {URL}")

    thread = threading.Thread(target=boom, name="worker-1")
    thread.start()
    thread.join()
    payload = json.loads(stream.getvalue())
    assert payload["event"] == "thread.crashed"
    assert payload["thread_name"] == "worker-1"
    assert "OSError: lost https://api.telegram.org/bot[REDACTED]" in payload["exception"]
    assert TOKEN not in stream.getvalue()


def test_formatters_render_a_plain_record() -> None:
    """Both formatters render a record without fields: one line, the event as the message."""
    record = logging.LogRecord("narcowatch.x", logging.INFO, "f", 1, "daemon.started", None, None)
    assert TextFormatter().format(record).endswith(" INFO    daemon.started")
    assert json.loads(JsonFormatter().format(record))["event"] == "daemon.started"
