"""The error tree, grouped by what the caller does next."""

from __future__ import annotations

from dataclasses import dataclass


class NarcowatchError(Exception):
    """Base of every error narcowatch raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in an input file, located by file and line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class ConfigError(NarcowatchError):
    """Config or topic files are invalid; every problem is reported at once (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InputError(NarcowatchError):
    """Bad input given on the command line or stdin (exit 2)."""


class FetchError(NarcowatchError):
    """A source could not be fetched."""

    kind = "fetch"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class TransientFetchError(FetchError):
    """Worth retrying later with backoff: timeouts, 5xx, connection errors."""

    kind = "transient"


class RateLimitedFetchError(TransientFetchError):
    """The server asked us to wait (429/503 with Retry-After)."""

    kind = "rate_limited"

    def __init__(self, message: str, *, status: int, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status)


class PermanentFetchError(FetchError):
    """Will not fix itself soon: 4xx, body too large, redirect loops."""

    kind = "permanent"


class GoneFetchError(PermanentFetchError):
    """HTTP 410: the source is gone and is disabled."""

    kind = "gone"


class ParseError(NarcowatchError):
    """A fetched body yielded no items."""


class DeliveryError(NarcowatchError):
    """An alert could not be delivered."""


class RateLimitedDeliveryError(DeliveryError):
    """Telegram asked us to wait before sending to this chat again."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ChatGoneError(DeliveryError):
    """The chat blocked the bot or no longer exists; it is deactivated."""


class TransientDeliveryError(DeliveryError):
    """Network errors and 5xx: retried with backoff."""


class RejectedMessageError(DeliveryError):
    """Telegram refused the message itself (too long, bad entities): resend as plain text."""


class ParseBudgetExceeded(ParseError):
    """Parsing and scoring one source's body took longer than `polling.parse_budget`."""

    def __init__(self, budget_s: float, message: str | None = None) -> None:
        self.budget_s = budget_s
        super().__init__(message or f"parse budget of {budget_s:g}s exceeded")


class WorkersBusy(ParseBudgetExceeded):
    """No worker came free within the time the job may wait: it never ran, and no worker was
    replaced for it."""

    def __init__(self, waited_s: float) -> None:
        super().__init__(waited_s, f"no parse worker came free within {waited_s:.3g}s")


class PollOverran(NarcowatchError):
    """A poll did not finish within its lease: it was stopped, so that no other poll of the
    same source could start while it still ran."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"poll did not finish within its time limit of {seconds:g}s; stopped")
