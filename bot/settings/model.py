"""The main config as validated, frozen pydantic models (SPEC 3.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.core.redaction import url_without_password
from bot.settings.units import parse_duration, parse_size

Seconds = Annotated[float, BeforeValidator(parse_duration)]
Bytes = Annotated[int, BeforeValidator(parse_size)]


class Frozen(BaseModel):
    """Base for config sections: unknown keys are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip()


def check_headers(value: dict[str, str] | None) -> dict[str, str] | None:
    """HTTP header names are tokens; values are printable ASCII on one line."""
    for name, text in (value or {}).items():
        if not name or not all(
            c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~") for c in name
        ):
            raise ValueError(f"{name!r} is not an HTTP header name")
        if not all(" " <= c <= "~" for c in text):
            raise ValueError(f"header {name}: the value must be printable ASCII on one line")
    return value


def check_user_agent(value: str | None) -> str | None:
    if value is not None:
        check_headers({"User-Agent": value})
        if not value.strip():
            raise ValueError("user_agent must not be empty (leave it out for the default)")
    return value


class TelegramSettings(Frozen):
    token: str = ""
    api_base_url: str = "https://api.telegram.org/bot"
    admins: tuple[int, ...] = ()
    link_previews: bool = False
    allow_private_sources: bool = False
    max_alerts_per_poll: int = Field(default=10, ge=1, le=1000)
    """Alerts one poll of one source sends each chat; a longer burst ends in one
    "and N more from SOURCE" line (issue 17)."""

    _check_base = field_validator("api_base_url")(check_http_url)


class PollingSettings(Frozen):
    interval: Seconds = 900.0
    concurrency: int = Field(default=20, ge=1, le=1000)
    timeout: Seconds = 30.0
    max_bytes: Bytes = 5 * 1024 * 1024
    per_host: int = Field(default=2, ge=1, le=20)
    user_agent: str | None = None
    """None: narcowatch's own (`narcowatch/VERSION (+URL)`)."""
    headers: dict[str, str] = Field(default_factory=dict)
    max_item_age: Seconds = 14 * 86400.0
    """An item whose own date is older never alerts (it is still stored)."""

    _check_headers = field_validator("headers")(check_headers)
    _check_user_agent = field_validator("user_agent")(check_user_agent)
    parse_budget: Seconds = Field(default=5.0, gt=0, le=600.0)
    """Parse and score time one source may use per poll, waiting for a worker included."""
    parse_workers: int = Field(default=1, ge=1, le=16)
    max_items: int = Field(default=300, ge=1, le=10_000)
    """Items taken from one poll of a feed, newest first; the rest are not stored (issue 17)."""


class SelectorSettings(Frozen):
    item: str
    title: str
    link: str | None = None
    summary: str | None = None
    date: str | None = None


class SourceSettings(Frozen):
    name: str = Field(min_length=1, max_length=200)
    url: str
    interval: Seconds | None = None
    type: Literal["feed", "html"] = "feed"
    topics: tuple[str, ...] | None = None
    selectors: SelectorSettings | None = None
    enabled: bool = True
    user_agent: str | None = None
    headers: dict[str, str] | None = None

    _check_url = field_validator("url")(check_http_url)
    _check_headers = field_validator("headers")(check_headers)
    _check_user_agent = field_validator("user_agent")(check_user_agent)

    @model_validator(mode="after")
    def _selectors_only_for_html(self) -> SourceSettings:
        # An html source without selectors has its article list detected (bot.parse.articles).
        if self.type == "feed" and self.selectors is not None:
            raise ValueError("`selectors` only apply to `type: html` sources")
        return self


class HealthSettings(Frozen):
    listen: str = "127.0.0.1:8080"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port")
        return value


class RetentionSettings(Frozen):
    items_days: int = Field(default=90, ge=1)


class ArticleSettings(Frozen):
    """Fetching an item's article page when the feed's text leaves the verdict open."""

    enabled: bool = True
    margin: float = Field(default=0.15, ge=0.0, le=1.0)
    """An unmatched item scoring within this below a topic's threshold gets its article read."""
    max_per_poll: int = Field(default=5, ge=0, le=100)
    timeout: Seconds = Field(default=15.0, gt=0, le=300.0)
    """For fetching and extracting one article page, waiting for a worker included."""
    poll_budget: Seconds = Field(default=30.0, gt=0, le=600.0)
    """Time one poll of a source may spend on article pages in all; the rest are skipped."""
    cache_size: Bytes = Field(default=16 * 1024 * 1024, ge=0, le=1024**3)
    """Memory for article texts already read (least recently used first out)."""
    allow_private: bool = False
    """Article links come from feed content: private addresses are refused unless this is set."""


class ReloadSettings(Frozen):
    """Watching the config and topic files, so that a saved edit applies by itself."""

    watch: bool = True
    check_every: Seconds = Field(default=2.0, ge=0.1, le=3600.0)
    """Each file read and hashed this often: works on mounted folders, where inotify may not
    fire."""
    debounce: Seconds = Field(default=1.0, ge=0.0, le=600.0)
    """The same content on two checks this far apart before a change applies (editors write in
    bursts; a writer may pause)."""


class Settings(Frozen):
    """Everything `narcowatch` reads from its main config file."""

    database_url: str = "sqlite:///data/narcowatch.db"
    telegram: TelegramSettings = TelegramSettings()
    polling: PollingSettings = PollingSettings()
    health: HealthSettings = HealthSettings()
    retention: RetentionSettings = RetentionSettings()
    reload: ReloadSettings = ReloadSettings()
    articles: ArticleSettings = ArticleSettings()
    sources: tuple[SourceSettings, ...] = ()
    topics: tuple[Path, ...] = ()

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise ValueError(
                f"{url_without_password(value)!r} is not a supported database URL "
                "(sqlite:///path.db, postgresql://user@host:port/db)"
            )
        return value

    def source_interval(self, source: SourceSettings) -> float:
        """A source's own interval, else the polling default."""
        return source.interval if source.interval is not None else self.polling.interval

    def source_headers(self, source: SourceSettings) -> dict[str, str]:
        """Request headers for a source: the polling ones, then its own; its User-Agent (or the
        polling one) as `User-Agent`. Empty means the fetcher's defaults."""
        headers = {**self.polling.headers, **(source.headers or {})}
        user_agent = source.user_agent or self.polling.user_agent
        if user_agent:
            headers = {k: v for k, v in headers.items() if k.lower() != "user-agent"}
            headers["User-Agent"] = user_agent
        return headers
