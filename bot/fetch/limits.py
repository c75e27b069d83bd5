"""How far the fetcher goes for one source: time, bytes, redirects and parallelism."""

from __future__ import annotations

from dataclasses import dataclass

from bot import USER_AGENT
from bot.settings.model import PollingSettings


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Limits applied to every fetch; the defaults suit a few hundred ordinary feeds."""

    timeout_s: float = 30.0
    """Connect/read timeout, and the deadline for a whole fetch including redirects."""
    max_bytes: int = 5 * 1024 * 1024
    """Largest body accepted, counted after decompression."""
    max_redirects: int = 5
    per_host: int = 2
    """Requests at a time to one host name."""
    concurrency: int = 20
    """Requests at a time overall."""
    user_agent: str = USER_AGENT
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with every request (`polling.headers`); a request's own headers win."""

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        if self.per_host < 1 or self.concurrency < 1:
            raise ValueError("per_host and concurrency must be at least 1")


def limits_for(polling: PollingSettings) -> FetchLimits:
    """The fetch limits `polling:` in the config asks for."""
    return FetchLimits(
        timeout_s=polling.timeout,
        max_bytes=polling.max_bytes,
        per_host=polling.per_host,
        concurrency=polling.concurrency,
        user_agent=polling.user_agent or USER_AGENT,
        headers=tuple(polling.headers.items()),
    )


def describe_bytes(size: int) -> str:
    """`5242880` -> `5 MB`, `1536` -> `1.5 KB`, for error messages."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"
