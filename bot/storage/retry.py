"""Retries a whole store transaction when the database failed in a way that passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 4

# PostgreSQL SQLSTATEs that mean "run the transaction again": serialization failure, deadlock.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient(exc: BaseException) -> bool:
    """Whether a database error is worth retrying: a lost connection, a lock, a deadlock."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower()
        return "database is locked" in message or "database is busy" in message
    return False


def retries_transient(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` (one transaction) again, up to 4 times with backoff, on transient errors."""
    return retry(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.05, max=1.0),
        reraise=True,
    )(func)


def describe_refusal(exc: Exception) -> str:
    """What the database said, without the statement or its parameters (they hold feed text):
    the driver's error class, the SQLSTATE and PostgreSQL's primary message when there are."""
    orig = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    parts = [type(orig).__name__]
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        parts.append(f"SQLSTATE {sqlstate}")
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if isinstance(primary, str) and primary:
        parts.append(primary[:200])
    return ": ".join(parts)
