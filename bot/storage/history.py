"""Stored items with the topics they matched, read back in chunks for `narcowatch backtest`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select

from bot.core.models import Item
from bot.matching.backtest import StoredVerdict
from bot.storage.tables import ITEM, MATCH

CHUNK = 1000


def stored_verdicts(engine: Engine, *, since: datetime) -> Iterator[StoredVerdict]:
    """Items fetched since `since`, oldest first, each with the topics it matched then."""
    i = ITEM.c
    last_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(i.id, i.key, i.title, i.link, i.summary, i.content, i.published, i.lang)
                .where(i.fetched_at >= since, i.id > last_id)
                .order_by(i.id)
                .limit(CHUNK)
            ).all()
            if not rows:
                return
            ids = [row.id for row in rows]
            matched: dict[int, set[str]] = {}
            for item_id, topic in conn.execute(
                select(MATCH.c.item_id, MATCH.c.topic).where(MATCH.c.item_id.in_(ids))
            ):
                matched.setdefault(item_id, set()).add(topic)
        for row in rows:
            item = Item(
                title=row.title or "",
                link=row.link,
                summary=row.summary or "",
                content=row.content or "",
                published=row.published,
                lang=row.lang,
            )
            yield StoredVerdict(row.key, item, frozenset(matched.get(row.id, ())))
        last_id = rows[-1].id
