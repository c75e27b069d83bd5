"""Logging set-up: an event name and fields per line, text or JSON, with secrets redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import quote

# Attributes every LogRecord has; anything else was passed as a field through `extra=`.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)
# Bot tokens look like 123456789:AA...; they also sit inside Bot API URLs (/bot<token>/method),
# where no word boundary precedes the digits, so the pattern has none at its start. The colon
# may come percent-encoded.
_TOKEN_SHAPE = re.compile(r"\d{5,}(?::|%3[Aa])[A-Za-z0-9_-]{30,}")
REDACTED = "[REDACTED]"


class SecretRedactor(logging.Filter):
    """Replaces known secrets, and anything shaped like a bot token, in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        known = {s for s in secrets if s and len(s) >= 6}
        # Secrets also travel URL-encoded (a token's colon becomes %3A in some error texts).
        known |= {quote(s, safe="") for s in known}
        self.secrets = sorted(known, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def redact_value(self, value: Any) -> Any:
        """A field value with secrets redacted: strings, and strings inside lists and dicts.

        Any other object (an exception, a URL) becomes its redacted text, so what it would
        print can never carry a secret past this filter.
        """
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(v) for v in value]
        if isinstance(value, Mapping):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        return self.redact(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-args: keep what there is rather than lose the line
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, self.redact_value(value))
        return True


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra=` fields of a record."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


class TextFormatter(logging.Formatter):
    """`2026-11-24T10:00:00Z INFO  poll.done source='UNODC' new=3` for people."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = " ".join(f"{k}={v!r}" for k, v in record_fields(record).items())
        line = f"{stamp} {record.levelname:<7} {record.getMessage()}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        if record.stack_info:
            line = f"{line}\n{record.stack_info}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update(record_fields(record))
        if record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = record.stack_info
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(
    env: Mapping[str, str], *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> SecretRedactor:
    """Root logging from NARCOWATCH_LOG_FORMAT (text|json) and NARCOWATCH_LOG_LEVEL."""
    fmt = env.get("NARCOWATCH_LOG_FORMAT", "text").lower()
    level_name = env.get("NARCOWATCH_LOG_LEVEL", "INFO").upper()
    level = logging.getLevelNamesMapping().get(level_name, logging.INFO)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    redactor = SecretRedactor(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Library chatter (one line per HTTP request) would drown our events.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "telegram.ext"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # Warnings and uncaught exceptions would otherwise reach stderr unformatted and unredacted.
    logging.captureWarnings(True)
    sys.excepthook = log_uncaught
    threading.excepthook = log_uncaught_in_thread
    return redactor


def log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """sys.excepthook: an uncaught exception becomes one redacted `crashed` event."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("narcowatch").critical("crashed", exc_info=(kind, error, traceback))


def log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    """threading.excepthook: as `log_uncaught`, naming the thread."""
    if args.exc_value is None:
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("narcowatch").critical(
        "thread.crashed",
        extra={"thread_name": thread},
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
