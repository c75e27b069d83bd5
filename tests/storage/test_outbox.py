"""Outbox rows: fan-out to subscribed chats, leases for senders, results, backlog, history."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.storage import Store


def alert_poll(
    store: Store, source_id: int, now: datetime, entry, score, ok, *scores: float
) -> None:  # type: ignore[no-untyped-def]
    """Store one new item per score, each matching topic "drugs" with that score."""
    entries = [entry(f"item{n}", matches=(score("drugs", s),)) for n, s in enumerate(scores)]
    store.save_poll(source_id, ok(now), entries, alert=True)


def queued(store: Store, now: datetime) -> dict[int, list[float]]:
    """chat id -> scores of its claimable alerts."""
    claimed = store.claim_outbox(now=now, limit=100, owner="t", lease_seconds=60)
    found: dict[int, list[float]] = {}
    for alert in claimed:
        found.setdefault(alert.chat_id, []).append(alert.score.score)
    return {chat_id: sorted(scores) for chat_id, scores in found.items()}


def test_fan_out_respects_subscription_threshold_and_activity(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """Alerts go to active chats subscribed to the topic whose threshold the score reaches."""
    chat(1, "drugs")
    chat(2, "drugs", threshold=0.7)
    chat(3, "weather")
    chat(4, "drugs")
    store.deactivate_chat(4, "blocked")
    alert_poll(store, source_id, now, entry, score, ok, 0.5, 0.7, 0.9)
    assert queued(store, now) == {1: [0.5, 0.7, 0.9], 2: [0.7, 0.9]}


def test_fan_out_skips_muted_sources_and_parks_muted_chats(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """A chat that muted the source gets nothing; a muted chat gets a dropped row for /recent."""
    chat(1, "drugs")
    chat(2, "drugs", muted_until=now + timedelta(hours=1))
    chat(3, "drugs", digest="daily")
    assert store.mute_source(1, source_id)
    alert_poll(store, source_id, now, entry, score, ok, 0.8)
    assert queued(store, now) == {}
    (parked,) = store.recent_matches(2, 5)
    assert (parked.status, parked.last_error) == ("dropped", "chat muted")
    (digest,) = store.claim_outbox(now=now, limit=10, owner="d", lease_seconds=60, digest=True)
    assert (digest.chat_id, digest.digest) == (3, True)
    assert store.recent_matches(1, 5) == []


def test_claimed_alert_carries_what_a_message_needs(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """A claimed alert has the item, source name, score evidence and the chat's thread."""
    store.upsert_chat(-100, type="supergroup", title="Desk", now=now)
    store.subscribe(-100, "drugs", 55, now=now)
    alert_poll(store, source_id, now, entry, score, ok, 0.8)
    (alert,) = store.claim_outbox(now=now, limit=10, owner="s1", lease_seconds=60)
    assert (alert.chat_id, alert.message_thread_id, alert.source_name) == (-100, 55, "Wire")
    assert (alert.title, alert.link) == ("Item item0", "https://news.example/item0")
    assert alert.score == score("drugs", 0.8)
    assert (alert.status, alert.attempts) == ("sending", 1)
    assert store.alert(alert.outbox_id) is not None


def test_claim_outbox_leases_and_reclaims_expired_sending(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """A leased alert is not handed out again until its sender's lease expires."""
    chat(1, "drugs")
    alert_poll(store, source_id, now, entry, score, ok, 0.8)
    (first,) = store.claim_outbox(now=now, limit=10, owner="dead", lease_seconds=30)
    assert (
        store.claim_outbox(now=now + timedelta(seconds=29), limit=10, owner="s2", lease_seconds=30)
        == []
    )
    (again,) = store.claim_outbox(
        now=now + timedelta(seconds=31), limit=10, owner="s2", lease_seconds=30
    )
    assert again.outbox_id == first.outbox_id
    assert again.attempts == 2


def test_concurrent_senders_get_disjoint_alerts(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """Senders claiming at once never get the same outbox row."""
    for chat_id in range(1, 11):
        chat(chat_id, "drugs")
    alert_poll(store, source_id, now, entry, score, ok, 0.5, 0.6, 0.7, 0.8)
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3)

    def send(owner: str) -> None:
        barrier.wait()
        while batch := store.claim_outbox(now=now, limit=4, owner=owner, lease_seconds=60):
            with lock:
                claimed.extend(alert.outbox_id for alert in batch)

    threads = [threading.Thread(target=send, args=(f"s{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


def test_mark_sent_retry_and_failed(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """Sent alerts keep Telegram's id; retried ones wait; failed ones stop; backlog follows."""
    chat(1, "drugs")
    alert_poll(store, source_id, now, entry, score, ok, 0.5, 0.6, 0.7)
    assert store.outbox_backlog(now) == (3, now)
    sent, retry, failed = store.claim_outbox(now=now, limit=10, owner="s", lease_seconds=60)
    store.mark_sent(sent.outbox_id, 9001, now)
    store.mark_retry(retry.outbox_id, "HTTP 502", now + timedelta(minutes=1))
    store.mark_failed(failed.outbox_id, "message is too long")
    assert store.outbox_backlog(now) == (1, now)
    assert store.claim_outbox(now=now, limit=10, owner="s", lease_seconds=60) == []
    (retried,) = store.claim_outbox(
        now=now + timedelta(minutes=1), limit=10, owner="s", lease_seconds=60
    )
    assert (retried.outbox_id, retried.last_error, retried.attempts) == (
        retry.outbox_id,
        "HTTP 502",
        2,
    )
    history = {a.outbox_id: a for a in store.recent_matches(1, 10)}
    assert (history[sent.outbox_id].status, history[sent.outbox_id].telegram_message_id) == (
        "sent",
        9001,
    )
    assert history[failed.outbox_id].status == "failed"


def test_deactivate_chat_drops_its_unsent_alerts(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """Deactivating a chat drops its pending and in-flight alerts and spares other chats'."""
    chat(1, "drugs")
    chat(2, "drugs")
    alert_poll(store, source_id, now, entry, score, ok, 0.5, 0.6)
    store.claim_outbox(now=now, limit=1, owner="s", lease_seconds=60)
    assert store.deactivate_chat(1, "Forbidden: bot was blocked by the user") == 2
    info = store.get_chat(1)
    assert info is not None
    assert (info.active, info.deactivated_reason) == (
        False,
        "Forbidden: bot was blocked by the user",
    )
    later = now + timedelta(minutes=5)
    assert {
        a.chat_id for a in store.claim_outbox(now=later, limit=10, owner="s", lease_seconds=60)
    } == {2}
    assert {a.status for a in store.recent_matches(1, 10)} == {"dropped"}


def test_recent_matches_newest_first_and_limited(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """/recent lists a chat's latest alerts, newest first, at most n."""
    chat(1, "drugs")
    for minute in range(3):
        at = now + timedelta(minutes=minute)
        store.save_poll(source_id, ok(at), [entry(f"m{minute}", matches=(score(),))], alert=True)
    assert [a.title for a in store.recent_matches(1, 2)] == ["Item m2", "Item m1"]


def test_a_chat_may_judge_an_alert_once_it_is_being_sent_there(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:  # type: ignore[no-untyped-def]
    """delivered_to, which decides whether a Relevant / Not relevant press counts: not while
    the alert waits (the chat has no button yet), yes while it is being sent (Telegram shows
    it before the sender writes down that it went: a press in that moment was refused, seen in
    CI) and once sent, no when it failed, and never for another chat."""
    chat(1, "drugs")
    chat(2, "drugs")
    alert_poll(store, source_id, now, entry, score, ok, 0.5)
    (sending,) = store.claim_outbox(now=now, limit=1, owner="s", lease_seconds=60)
    waiting = 2 if sending.chat_id == 1 else 1
    match_id = sending.match_id
    assert store.delivered_to(match_id, sending.chat_id)
    assert not store.delivered_to(match_id, waiting)
    assert not store.delivered_to(match_id, 3)
    store.mark_sent(sending.outbox_id, 9001, now)
    assert store.delivered_to(match_id, sending.chat_id)
    (other,) = store.claim_outbox(now=now, limit=1, owner="s", lease_seconds=60)
    store.mark_failed(other.outbox_id, "chat not found")
    assert not store.delivered_to(match_id, waiting)
