"""The SQLModel tables: sources, items, matches, chats, subscriptions, outbox, feedback, meta."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import registry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlmodel import Field, SQLModel

# Named constraints, so later migrations (batch mode on SQLite) can find them on every back end.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCE_ORIGINS = ("config", "telegram")
SOURCE_TYPES = ("feed", "html")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dropped")
OUTBOX_KINDS = ("alert", "edit")
DIGEST_MODES = ("off", "hourly", "daily")
BRIEFING_MODES = ("off", "daily", "weekly")
BRIEFING_STATUSES = ("pending", "sending", "sent", "failed")
VERDICTS = ("relevant", "not_relevant")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware, SQLite included.

    SQLite has no time zones, so values go in as naive UTC text (which also keeps string
    comparison in SQL correct) and come out with tzinfo=UTC. Naive input is refused: it is a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to the database; use UTC-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _Document(ColumnElement[str]):
    """A search document as it is written: as is, or made a tsvector on PostgreSQL."""

    inherit_cache = True

    def __init__(self, value: BindParameter[str]) -> None:
        self.value = value
        self.type = value.type


@compiles(_Document)
def _document_as_text(element: _Document, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.value, **kw)


@compiles(_Document, "postgresql")
def _document_as_vector(element: _Document, compiler: SQLCompiler, **kw: Any) -> str:
    # Split on the spaces only: the analyser made the tokens (see bot/storage/search.py).
    return f"to_tsvector('simple'::regconfig, {compiler.process(element.value, **kw)})"


class SearchDocument(TypeDecorator[str]):
    """An item's search document (bot.search.analyze): text on SQLite, where an FTS5 table
    indexes it; on PostgreSQL only its tsvector is stored, which a GIN index indexes."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())

    def bind_expression(self, bindvalue: BindParameter[str]) -> ColumnElement[str]:
        return _Document(bindvalue)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TableModel(
    SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))
):
    """Base of our tables: their own metadata, apart from any other SQLModel user."""


def _when(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Source(TableModel, table=True):
    """A news source: where and how to poll it, its schedule, lease and health."""

    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint(_in("origin", SOURCE_ORIGINS), name="origin"),
        CheckConstraint(_in("type", SOURCE_TYPES), name="type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200), unique=True)
    origin: str = Field(default="config", sa_type=String(16))
    # May reach private addresses: written by the operator (config file, CLI import), not
    # added from Telegram (see bot.fetch.guard).
    trusted: bool = Field(
        default=False, sa_type=Boolean, sa_column_kwargs={"server_default": false()}
    )
    config_url: str | None = Field(default=None, sa_type=Text)
    url: str = Field(sa_type=Text)
    type: str = Field(default="feed", sa_type=String(16))
    selectors: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    interval_s: float = Field(sa_type=Float)
    topics: list[str] | None = Field(default=None, sa_type=JSON)
    enabled: bool = Field(default=True, sa_type=Boolean)
    paused: bool = Field(default=False, sa_type=Boolean)
    disabled_reason: str | None = Field(default=None, sa_type=Text)
    etag: str | None = Field(default=None, sa_type=Text)
    last_modified: str | None = Field(default=None, sa_type=Text)
    headers: dict[str, str] | None = Field(default=None, sa_type=JSON)
    body_hash: str | None = Field(default=None, sa_type=String(64))
    next_poll_at: datetime | None = _when(index=True)
    lease_owner: str | None = Field(default=None, sa_type=String(200))
    lease_expires_at: datetime | None = _when()
    last_polled_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_kind: str | None = Field(default=None, sa_type=String(32))
    last_error_at: datetime | None = _when()
    last_warning: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = Field(default=0, sa_type=Integer)
    last_new_item_at: datetime | None = _when()
    health_reported: bool = Field(default=False, sa_type=Boolean)
    created_at: datetime = _when(nullable=False)


class Item(TableModel, table=True):
    """One stored news item; (source, key) is its identity, link+title a second one."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("source_id", "key", name="uq_item_source_key"),
        Index("ix_item_source_link_title", "source_id", "canonical_link", "title_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    key: str = Field(sa_type=Text)
    canonical_link: str | None = Field(default=None, sa_type=Text)
    title_hash: str = Field(sa_type=String(64))
    title: str = Field(sa_type=Text)
    link: str | None = Field(default=None, sa_type=Text)
    summary: str = Field(default="", sa_type=Text)
    content: str = Field(default="", sa_type=Text)
    author: str | None = Field(default=None, sa_type=Text)
    published: datetime | None = _when()
    lang: str | None = Field(default=None, sa_type=String(16))
    fetched_at: datetime = _when(nullable=False, index=True)
    # SimHash of the text as a signed 64-bit integer; items of one story share story_id.
    fingerprint: int | None = Field(default=None, sa_type=BigInteger)
    story_id: int | None = Field(default=None, sa_type=Integer, index=True)
    # The item's words as the search index holds them (bot.search.analyze.document), written
    # with the item; the database keeps the index in step with it (bot/storage/search.py).
    search_text: str = Field(
        default="", sa_type=SearchDocument, sa_column_kwargs={"server_default": ""}
    )


class Match(TableModel, table=True):
    """An item that matched a topic, with the score and the evidence for it."""

    __tablename__ = "match"
    __table_args__ = (
        UniqueConstraint("item_id", "topic", name="uq_match_item_topic"),
        # Briefings read a period's matches by when they were made.
        Index("ix_match_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", ondelete="CASCADE")
    topic: str = Field(sa_type=String(100))
    score: float = Field(sa_type=Float)
    terms: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    entities: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _when(nullable=False)
    # Who acted (TopicScore.actors), read with the match; match_actor has a row per actor
    # for filtering by place.
    actors: list[str] | None = Field(default=None, sa_type=JSON)


class MatchActor(TableModel, table=True):
    """One country (ISO code) or international body (its name) that acted in a match's item:
    a row per actor, so filters by place and counts of pairs are SQL on both back ends."""

    __tablename__ = "match_actor"
    # Filters by place start from the actors: the matches in which any of them acted.
    __table_args__ = (Index("ix_match_actor_actor_match_id", "actor", "match_id"),)

    match_id: int = Field(foreign_key="match.id", ondelete="CASCADE", primary_key=True)
    actor: str = Field(sa_type=String(100), primary_key=True)


class Chat(TableModel, table=True):
    """A Telegram chat that talked to the bot, and its alert preferences."""

    __tablename__ = "chat"
    __table_args__ = (CheckConstraint(_in("digest", DIGEST_MODES), name="digest"),)

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    type: str = Field(default="private", sa_type=String(16))
    title: str | None = Field(default=None, sa_type=Text)
    active: bool = Field(default=True, sa_type=Boolean)
    threshold: float | None = Field(default=None, sa_type=Float)
    muted_until: datetime | None = _when()
    digest: str = Field(default="off", sa_type=String(8))
    # Quiet hours as minutes after local midnight, in the chat's time zone.
    quiet_start: int | None = Field(default=None, sa_type=Integer)
    quiet_end: int | None = Field(default=None, sa_type=Integer)
    timezone: str = Field(default="UTC", sa_type=String(64))
    muted_sources: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _when(nullable=False)
    deactivated_reason: str | None = Field(default=None, sa_type=Text)
    # Scheduled briefing: off, daily or weekly; the weekday (0 = Monday) and minutes after
    # local midnight it goes at; and when it was set (slots before that are not owed).
    briefing: str = Field(
        default="off", sa_type=String(8), sa_column_kwargs={"server_default": "off"}
    )
    briefing_day: int | None = Field(default=None, sa_type=Integer)
    briefing_minute: int | None = Field(default=None, sa_type=Integer)
    briefing_since: datetime | None = _when()
    # The places the chat follows (country codes, M49 codes, group keys: bot.places); None or
    # empty: everywhere. Only alerts one of whose acting countries is there reach the chat.
    places: list[str] | None = Field(default=None, sa_type=JSON)


class Subscription(TableModel, table=True):
    """A chat following a topic, optionally in one forum thread."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("chat_id", "topic", name="uq_subscription_chat_topic"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, foreign_key="chat.id", ondelete="CASCADE")
    topic: str = Field(sa_type=String(100))
    message_thread_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _when(nullable=False)


class Outbox(TableModel, table=True):
    """One message to deliver for a match and a chat, with its delivery state and lease: an
    alert, or an edit of an earlier alert (`edit_of`) to list another source of its story."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("match_id", "chat_id", name="uq_outbox_match_chat"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(_in("kind", OUTBOX_KINDS), name="kind"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", ondelete="CASCADE")
    chat_id: int = Field(sa_type=BigInteger, foreign_key="chat.id", ondelete="CASCADE", index=True)
    message_thread_id: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(default="pending", sa_type=String(16))
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime = _when(nullable=False)
    lease_owner: str | None = Field(default=None, sa_type=String(200))
    lease_expires_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=Text)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    digest: bool = Field(default=False, sa_type=Boolean)
    created_at: datetime = _when(nullable=False)
    sent_at: datetime | None = _when()
    kind: str = Field(
        default="alert", sa_type=String(8), sa_column_kwargs={"server_default": "alert"}
    )
    edit_of: int | None = Field(default=None, foreign_key="outbox.id", ondelete="CASCADE")
    burst_more: int | None = Field(default=None, sa_type=Integer)
    """On the last alert one poll of a source sent a chat: how many more that poll matched
    (`telegram.max_alerts_per_poll`); they are kept as dropped rows."""


class BriefingRun(TableModel, table=True):
    """One scheduled briefing owed to a chat for the period ending at `period_end`: unique, so
    however many daemons tick, each period is queued once; leased like outbox rows, so it is
    sent once. `photo_message_id` marks the picture as sent, so a retry sends only the text."""

    __tablename__ = "briefing_run"
    __table_args__ = (
        UniqueConstraint("chat_id", "period_end", name="uq_briefing_run_chat_period"),
        CheckConstraint(_in("status", BRIEFING_STATUSES), name="status"),
        Index("ix_briefing_run_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, foreign_key="chat.id", ondelete="CASCADE")
    mode: str = Field(sa_type=String(8))
    period_end: datetime = _when(nullable=False)
    status: str = Field(default="pending", sa_type=String(16))
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime = _when(nullable=False)
    lease_owner: str | None = Field(default=None, sa_type=String(200))
    lease_expires_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=Text)
    photo_message_id: int | None = Field(default=None, sa_type=BigInteger)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _when(nullable=False)
    sent_at: datetime | None = _when()


class Feedback(TableModel, table=True):
    """A user's verdict on an alert: relevant or not (one per user and match)."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("match_id", "user_id", name="uq_feedback_match_user"),
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", ondelete="CASCADE")
    chat_id: int = Field(sa_type=BigInteger)
    user_id: int = Field(sa_type=BigInteger)
    verdict: str = Field(sa_type=String(16))
    created_at: datetime = _when(nullable=False)


class MissReport(TableModel, table=True):
    """A user's report that a stored item is about a topic it did not match (`/missed`): the
    one verdict that can teach the text model what the rules miss (alerts only show hits)."""

    __tablename__ = "miss_report"
    __table_args__ = (UniqueConstraint("item_id", "topic", "user_id", name="uq_miss_report"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", ondelete="CASCADE")
    topic: str = Field(sa_type=String(100))
    chat_id: int = Field(sa_type=BigInteger)
    user_id: int = Field(sa_type=BigInteger)
    created_at: datetime = _when(nullable=False)


class Meta(TableModel, table=True):
    """Small named values the instance keeps between runs (e.g. last poll cycle)."""

    __tablename__ = "meta"

    key: str = Field(sa_type=String(100), primary_key=True)
    value: str = Field(sa_type=Text)
    updated_at: datetime = _when(nullable=False)


METADATA = TableModel.metadata


def table_of(model: type[TableModel]) -> Table:
    """The Core table behind a model, for typed column access in queries (`SOURCE.c.url`)."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


SOURCE = table_of(Source)
ITEM = table_of(Item)
MATCH = table_of(Match)
MATCH_ACTOR = table_of(MatchActor)
CHAT = table_of(Chat)
SUBSCRIPTION = table_of(Subscription)
OUTBOX = table_of(Outbox)
FEEDBACK = table_of(Feedback)
MISS_REPORT = table_of(MissReport)
BRIEFING_RUN = table_of(BriefingRun)
META = table_of(Meta)
