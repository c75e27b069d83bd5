"""A burst of alerts from one poll of one source, cut to a few per chat (issue 17, finding 5).

A feed of 2,000 matching items queued 2,000 alerts per chat in one poll: half an hour of
messages chosen by whoever wrote the feed, with every other source's alerts queued behind.
Now each chat gets the `cap` best of them; the last one sent says how many more there were
("and N more from SOURCE"), and those are kept as dropped rows, so /recent still lists them.
An alert another source queues meanwhile waits behind `cap` messages at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def burst_reason(more: int) -> str:
    """Why an alert beyond the cap was not sent."""
    return f"burst: one of {more} more matches from one poll of this source, summarised"


def limit_burst(
    rows: Sequence[dict[str, Any]],
    *,
    cap: int | None,
    scores: Mapping[int, float],
) -> list[dict[str, Any]]:
    """The outbox rows of one poll, with at most `cap` pending per chat: the best scores, in
    the order they came.

    `rows` are outbox row values (chat_id, match_id, status, digest, ...); `scores` gives each
    match's score. The last row kept for a chat gets `burst_more`, the rows beyond become
    dropped with the reason. No `cap`: the rows as they are.
    """
    if cap is None:
        return list(rows)
    by_chat: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_chat.setdefault(row["chat_id"], []).append(row)
    limited: list[dict[str, Any]] = []
    for chat_rows in by_chat.values():
        pending = [row for row in chat_rows if row["status"] == "pending"]
        settled = [row for row in chat_rows if row["status"] != "pending"]
        if len(pending) <= cap:
            limited.extend(chat_rows)
            continue
        best = sorted(
            range(len(pending)), key=lambda i: (-scores.get(pending[i]["match_id"], 0.0), i)
        )
        chosen = set(best[:cap])
        kept = [row for i, row in enumerate(pending) if i in chosen]
        beyond = [row for i, row in enumerate(pending) if i not in chosen]
        if beyond:
            kept[-1]["burst_more"] = len(beyond)
            for row in beyond:
                row["status"] = "dropped"
                row["last_error"] = burst_reason(len(beyond))
        limited.extend(kept + beyond + settled)
    return limited
