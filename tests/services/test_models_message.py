"""The answer to /models: each topic's text model, its origin, and the verdicts since."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.model_feedback import NUDGE_AT, ModelFeedback, ModelStatus, models_message

TRAINED = datetime(2026, 12, 7, 10, 6, tzinfo=UTC)
SUMMARY = (
    "text model x.model.npz (2^16 features), blend 0.50, threshold 0.49",
    "trained 2026-12-07 10:06 UTC on 605 labelled items from 4 files (cross-validated F1 0.95)",
)


def feedback(relevant: int, not_relevant: int, missed: int) -> ModelFeedback:
    return ModelFeedback("drugs", "a" * 64, TRAINED, relevant, not_relevant, missed)


def test_a_model_with_few_verdicts_says_how_far_an_update_is() -> None:
    text = models_message([ModelStatus("drugs", SUMMARY, feedback(5, 2, 3))])
    assert text.splitlines() == [
        "<b>Text models</b>",
        "",
        f"<b>drugs</b>: {SUMMARY[0]}",
        SUMMARY[1],
        "Since then: 7 alerts judged (5 relevant, 2 not), 3 items reported missed; an update "
        f"is worth running from {NUDGE_AT}, two or more of each label.",
    ]


def test_enough_verdicts_name_the_command_that_learns_them() -> None:
    text = models_message([ModelStatus("drugs", SUMMARY, feedback(20, 6, 4))])
    assert text.endswith(
        "Since then: 26 alerts judged (20 relevant, 6 not), 4 items reported missed: worth an "
        "update, <code>narcowatch train --feedback --write</code>."
    )


def test_rules_only_and_undated_models_are_told_apart() -> None:
    text = models_message(
        [ModelStatus("plain", None, None), ModelStatus("old<model>", SUMMARY, None)]
    )
    assert "<b>plain</b>: rules only, no text model" in text
    assert "<b>old&lt;model&gt;</b>: text model x.model.npz" in text
    assert text.endswith("Verdicts since its training: unknown (its record gives no date).")
