"""A burst of alerts from one poll of one source becomes a few alerts and one summary (issue 17).

A feed of 2,000 matching items queued 2,000 outbox rows per chat in one poll (33 minutes of
attacker-chosen messages at 1/s per chat), and every other source's alerts waited behind them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.render import AlertView, render_alert
from bot.services.delivery_jobs import alert_view
from bot.storage import SourceSpec, Store
from bot.storage.bursts import burst_reason


def burst(store: Store, source_id: int, now: datetime, entry, score, ok, count: int, **kw):  # type: ignore[no-untyped-def]
    """One poll of `count` matching items, scores rising with n."""
    entries = [
        entry(f"b{n}", matches=(score("drugs", 0.5 + n / (count * 4)),)) for n in range(count)
    ]
    return store.save_poll(source_id, ok(now), entries, alert=True, **kw)


def test_each_chat_gets_the_best_few_and_one_line_for_the_rest(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """A poll of 200 matches with `max_alerts=5`: each chat can claim 5 alerts, the best
    scored, the last saying 195 more; the other 195 are kept as dropped rows (so /recent lists
    them) with the reason. Every match is stored."""
    chat(1, "drugs")
    chat(2, "drugs")
    new_items, matches = burst(store, source_id, now, entry, score, ok, 200, max_alerts=5)
    assert (new_items, len(matches)) == (200, 200)
    claimed = store.claim_outbox(now=now, limit=1000, owner="t", lease_seconds=60)
    for chat_id in (1, 2):
        mine = [a for a in claimed if a.chat_id == chat_id]
        assert sorted(a.title for a in mine) == [f"Item b{n}" for n in range(195, 200)]
        assert sorted(a.more for a in mine) == [0, 0, 0, 0, 195]
        recent = store.recent_matches(chat_id, 500)
        dropped = [a for a in recent if a.status == "dropped"]
        assert len(dropped) == 195
        assert {a.last_error for a in dropped} == {burst_reason(195)}


def test_the_summary_line_names_the_source_and_is_escaped(
    store: Store, now: datetime, entry, score, ok, chat
) -> None:
    """The last alert of a burst renders "➕ and 195 more from SOURCE in the same poll:
    /recent", with the source's name escaped (it comes from a feed's title)."""
    store.sync_config_sources(
        [SourceSpec(name="<b>Wire</b> & co", url="https://wire.example/feed")], now=now
    )
    (source,) = store.source_health()
    chat(1, "drugs")
    burst(store, source.id, now, entry, score, ok, 200, max_alerts=5)
    claimed = store.claim_outbox(now=now, limit=10, owner="t", lease_seconds=60)
    (last,) = [a for a in claimed if a.more]
    rendered = render_alert(alert_view(last))
    line = "➕ and 195 more from &lt;b&gt;Wire&lt;/b&gt; &amp; co in the same poll: /recent"
    assert line in rendered.html
    assert "➕ and 195 more from <b>Wire</b> & co in the same poll: /recent" in rendered.plain
    plain = AlertView(1, 1, 1, "t", None, ("Wire",), None, last.score)
    assert "more from" not in render_alert(plain).html


def test_an_alert_from_another_source_waits_behind_the_few_not_the_burst(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """After a burst of 2,000 (cut to 5), another source's alert queued a second later is
    among the first 6 the chat's sender claims; on main it came after 2,000."""
    chat(1, "drugs")
    burst(store, source_id, now, entry, score, ok, 2000, max_alerts=5)
    store.sync_config_sources(
        [
            SourceSpec(name="Wire", url="https://wire.example/feed"),
            SourceSpec(name="Agency", url="https://agency.example/feed"),
        ],
        now=now,
    )
    agency = {h.name: h.id for h in store.source_health()}["Agency"]
    later = now + timedelta(seconds=1)
    store.save_poll(
        agency, ok(later), [entry("real", matches=(score("drugs", 0.9),))], alert=True, max_alerts=5
    )
    order = [
        a.title
        for a in store.claim_outbox(now=later, limit=10, owner="t", lease_seconds=60)
        if a.chat_id == 1
    ]
    assert len(order) == 6
    assert "Item real" in order


def test_without_a_cap_every_match_alerts(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """`max_alerts=None` (tools, tests): one alert per match, none summarised."""
    chat(1, "drugs")
    burst(store, source_id, now, entry, score, ok, 12)
    claimed = store.claim_outbox(now=now, limit=100, owner="t", lease_seconds=60)
    assert len(claimed) == 12
    assert {a.more for a in claimed} == {0}
