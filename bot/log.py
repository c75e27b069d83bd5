"""Logging set-up: an event name and fields per line, text or JSON, with secrets redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

# Attributes every LogRecord has; anything else was passed as a field through `extra=`.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)
# Bot tokens look like 123456789:AA...; they also sit inside Bot API URLs (/bot<token>/method).
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")


class SecretRedactor(logging.Filter):
    """Replaces known secrets, and anything shaped like a bot token, in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[REDACTED]")
        return _TOKEN_SHAPE.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
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
    return redactor
