"""What one delivery is: the worker's options, a queued job, and the view an alert renders from."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.ratelimit import DeliveryLimits
from bot.core.render import AlertView
from bot.services.delivery_ports import OutboxAlert, OutgoingMessage
from bot.settings.tuning import DELIVERY_FIRST_RETRY_S, SHORT_RETRY_AFTER_S


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How much the worker leases and holds, and how fast it sends."""

    # Short leases: after a crash, rows the dead process held go out again within this.
    lease_seconds: float = 30.0
    claim_limit: int = 150
    buffer_seconds: float = 5.0
    max_concurrent: int = 16
    link_previews: bool = False
    limits: DeliveryLimits = field(default_factory=DeliveryLimits)
    # A RetryAfter up to this long keeps the chat's rows in memory; a longer one hands them back.
    short_retry_after_s: float = SHORT_RETRY_AFTER_S
    # The wait after a first transient failure (5xx, network), doubling after each further one.
    first_retry_s: float = DELIVERY_FIRST_RETRY_S


@dataclass(slots=True)
class Job:
    """One message to send and the outbox rows it settles (several for a digest)."""

    chat_id: int
    group: bool
    rows: tuple[OutboxAlert, ...]
    message: OutgoingMessage
    claimed_at: float
    edit_message_id: int | None = None
    """Set when the job edits this earlier message instead of sending a new one."""


def alert_view(alert: OutboxAlert) -> AlertView:
    """What the renderer shows of a leased row (for an edit row: of the alert it edits)."""
    return AlertView(
        alert_id=alert.edit.outbox_id if alert.edit is not None else alert.outbox_id,
        match_id=alert.match_id,
        source_id=alert.source_id,
        title=alert.title,
        link=alert.link,
        sources=alert.sources or (alert.source_name,),
        published=alert.published,
        score=alert.score,
        excerpt=alert.summary,
        more=alert.more,
    )
