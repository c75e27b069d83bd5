"""Telling admins that a topic's text model has verdicts to learn: over a real store, once per
model, among processes too, and again when the telling failed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot.core.models import Item
from bot.jobs import FeedbackNudgeJob
from bot.services.model_feedback import NUDGE_AT, ModelFeedback
from bot.storage import Store, open_store
from bot.storage.history import feedback_since_training
from tests.support.admins import Admins
from tests.support.alerts import CHAT, stored_alerts

TOPIC = "drug-control-cooperation"
TRAINED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = TRAINED + timedelta(days=3)


def judge(store: Store, verdicts: Sequence[str], *, at: datetime, first: int = 0) -> None:
    """Alerts of TOPIC on new items, each judged once with the given verdict at `at`."""
    items = [Item(title=f"story {n}") for n in range(first, first + len(verdicts))]
    alerts = stored_alerts(store, items, topic=TOPIC, at=at, first=first)
    for match_id, verdict in zip(alerts, verdicts, strict=True):
        store.record_feedback(match_id, CHAT, 1, verdict, now=at)


def counted(
    store: Store, model: str = "model-1", trained: datetime = TRAINED
) -> Callable[[], list[ModelFeedback]]:
    """The job's input as the daemon computes it: the verdicts given since the model was
    trained."""

    def feedback() -> list[ModelFeedback]:
        tally = feedback_since_training(store.engine, {TOPIC: trained})[TOPIC]
        return [ModelFeedback(TOPIC, model, trained, tally.relevant, tally.not_relevant, 0)]

    return feedback


def job(
    store: Store, feedback: Callable[[], list[ModelFeedback]], admins: Admins
) -> FeedbackNudgeJob:
    return FeedbackNudgeJob(store, feedback, clock=lambda: LATER, notify=admins)


async def test_admins_are_told_once_per_model_when_enough_verdicts_came(store: Store) -> None:
    """Below NUDGE_AT verdicts since the model was trained nothing is said; at NUDGE_AT one
    message names the topic and the command; later ticks say nothing more; a new model (an
    update) is told about again once its own verdicts reach NUDGE_AT."""
    admins = Admins()
    judge(store, ["relevant"] * 20 + ["not_relevant"] * 5, at=TRAINED - timedelta(days=1))
    judge(store, ["relevant"] * (NUDGE_AT - 6) + ["not_relevant"] * 5, at=LATER, first=100)
    assert await job(store, counted(store), admins).tick() == []  # one short (old ones not)
    judge(store, ["not_relevant"], at=LATER, first=200)
    assert await job(store, counted(store), admins).tick() == [TOPIC]
    (message,) = admins.messages
    assert f"<b>{TOPIC}</b>: {NUDGE_AT} verdicts since its text model was trained" in message
    assert "narcowatch train --feedback --write" in message
    assert await job(store, counted(store), admins).tick() == []
    updated = counted(store, model="model-2", trained=LATER + timedelta(seconds=1))
    assert await job(store, updated, admins).tick() == []  # nothing since the update yet
    assert len(admins.messages) == 1


async def test_a_failed_telling_is_tried_again_and_one_process_tells(
    store: Store, database_url: str
) -> None:
    """When no admin could be told, the next tick tells; of two daemons sharing the database,
    one tells."""
    admins = Admins()
    judge(store, ["relevant"] * (NUDGE_AT - 5) + ["not_relevant"] * 5, at=LATER)
    admins.failing = True
    assert await job(store, counted(store), admins).tick() == []
    admins.failing = False
    other = open_store(database_url, migrate=False)
    try:
        told = [
            await job(store, counted(store), admins).tick(),
            await job(other, counted(other), admins).tick(),
        ]
    finally:
        other.close()
    assert told == [[TOPIC], []]
    assert len(admins.messages) == 1


async def test_one_label_only_is_not_worth_an_update(store: Store) -> None:
    """Verdicts that are all relevant cannot update a model (it needs two of each label): no
    message, however many."""
    admins = Admins()
    judge(store, ["relevant"] * (NUDGE_AT + 5), at=LATER)
    assert await job(store, counted(store), admins).tick() == []
    assert admins.messages == []


def test_each_topic_counts_its_own_verdicts_since_its_own_model(store: Store) -> None:
    """Two topics' alerts judged on the same day: each topic counts only its own verdicts, and
    only those given after its own model was trained; a topic with none counts nought."""
    judge(store, ["relevant", "relevant", "not_relevant"], at=LATER)
    other = stored_alerts(store, [Item(title="other")], topic="other", at=LATER, first=100)
    store.record_feedback(other[0], CHAT, 1, "relevant", now=LATER)
    found = feedback_since_training(
        store.engine,
        {TOPIC: TRAINED, "other": LATER + timedelta(days=1), "quiet": TRAINED},
    )
    assert (found[TOPIC].relevant, found[TOPIC].not_relevant) == (2, 1)
    assert (found["other"].relevant, found["other"].not_relevant) == (0, 0)
    assert (found["quiet"].relevant, found["quiet"].not_relevant, found["quiet"].missed) == (
        0,
        0,
        0,
    )
