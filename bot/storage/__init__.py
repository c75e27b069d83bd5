"""Storage adapter: SQLModel tables, engines, Alembic migrations and the Store with leases."""

from bot.storage.engine import create_engine_for, normalise_url
from bot.storage.migrate import upgrade, upgrade_engine
from bot.storage.records import (
    Alert,
    ChatInfo,
    SourceHealth,
    SourceSpec,
    SubscriptionInfo,
    SyncReport,
)
from bot.storage.store import Store, open_store

__all__ = [
    "Alert",
    "ChatInfo",
    "SourceHealth",
    "SourceSpec",
    "Store",
    "SubscriptionInfo",
    "SyncReport",
    "create_engine_for",
    "normalise_url",
    "open_store",
    "upgrade",
    "upgrade_engine",
]
