"""Outbox leases left by a dead sole daemon are ended at start, so its alerts need not wait."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import SourceSpec, Store
from bot.storage.telegram_queries import TelegramStore
from tests.storage.conftest import NOW, add_chat, make_entry, make_score, success


def leased_rows(store: Store, count: int) -> TelegramStore:
    """`count` alerts for one chat, all leased for two minutes by a sender that then died."""
    store.sync_config_sources([SourceSpec(name="Wire", url="https://wire.example/feed")], now=NOW)
    source_id = store.source_health()[0].id
    add_chat(store, 1, "drugs")
    entries = [make_entry(f"k{n}", matches=(make_score("drugs"),)) for n in range(count)]
    store.save_poll(source_id, success(NOW), entries, alert=True)
    claimed = store.claim_outbox(now=NOW, limit=100, owner="dead", lease_seconds=120)
    assert len(claimed) == count
    return TelegramStore(store.engine)


def test_expired_leases_are_claimed_again_at_once(store: Store) -> None:
    """After `expire_outbox_leases`, the rows a dead sender held are claimable right away,
    each counting one more attempt, and sent rows are left alone."""
    telegram = leased_rows(store, 3)
    later = NOW + timedelta(seconds=5)
    assert telegram.claim_outbox(now=later, limit=100, owner="new", lease_seconds=120) == []
    first, *_ = store.recent_matches(1, 3)
    telegram.mark_sent(first.outbox_id, 77, later)

    assert telegram.expire_outbox_leases(later) == 2
    assert telegram.expire_outbox_leases(later) == 0, "leases already ended are not counted"
    again = telegram.claim_outbox(now=later, limit=100, owner="new", lease_seconds=120)
    assert sorted(a.outbox_id for a in again) == sorted(
        a.outbox_id for a in store.recent_matches(1, 3) if a.outbox_id != first.outbox_id
    )
    assert {a.attempts for a in again} == {2}
    sent = telegram.alert(first.outbox_id)
    assert sent is not None
    assert (sent.status, sent.telegram_message_id) == ("sent", 77)
