"""Stories in storage (SQLite and PostgreSQL): a repost from another source edits, never alerts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage import Store
from bot.storage.exports import iter_matches
from bot.storage.tables import ITEM
from tests.story.conftest import (
    NOW,
    add_chat,
    add_source,
    entry,
    outbox,
    publish,
    send_all,
    stories,
)
from tests.story.texts import (
    CGTN_CN_RU,
    MEKONG_CN_RU,
    SCO_BEIJING,
    SCO_DUSHANBE,
    TASS_CN_RU,
    XINHUA_CN_RU,
    Text,
)


def test_repost_from_a_second_source_edits_the_sent_alerts(store: Store) -> None:
    """A near-duplicate from another source makes no alert, only an edit row per chat alerted."""
    add_chat(store, 1)
    add_chat(store, 2)
    xinhua, mekong = add_source(store, "Xinhua"), add_source(store, "Mekong Times")
    (first,) = publish(store, xinhua, entry("x1", XINHUA_CN_RU))
    sent = send_all(store)
    (repeat,) = publish(store, mekong, entry("m1", MEKONG_CN_RU), now=NOW + timedelta(hours=3))

    assert first.duplicate_of is None
    assert repeat.duplicate_of == first.item_id
    rows = outbox(store)
    alerts = [r for r in rows if r["kind"] == "alert"]
    edits = [r for r in rows if r["kind"] == "edit"]
    assert sorted(r["chat_id"] for r in alerts) == [1, 2]
    assert all(r["status"] == "sent" for r in alerts)
    assert sorted((r["chat_id"], r["edit_of"]) for r in edits) == sorted(
        (r["chat_id"], r["id"]) for r in alerts
    )
    assert all(r["status"] == "pending" and r["edit_of"] in sent for r in edits)
    assert stories(store) == {first.item_id: first.item_id, repeat.item_id: first.item_id}


def test_the_poller_s_fingerprint_is_stored_on_the_item(store: Store) -> None:
    """A matched entry carries a SimHash of its text, and the item row keeps it."""
    add_chat(store, 1)
    made = entry("x1", XINHUA_CN_RU)
    # What the value must be, without recomputing it by the code under test: a signed 64-bit
    # integer (a BIGINT column), the same for the same words in another case and punctuation,
    # different for another story.
    assert made.fingerprint is not None
    assert -(2**63) <= made.fingerprint < 2**63
    shouted = Text(XINHUA_CN_RU.title.upper() + "!", XINHUA_CN_RU.summary.replace(",", ""))
    assert entry("x2", shouted).fingerprint == made.fingerprint
    assert entry("s1", SCO_BEIJING).fingerprint not in (None, made.fingerprint)
    (match,) = publish(store, add_source(store, "Xinhua"), made)
    with store.engine.begin() as conn:
        stored = conn.execute(
            select(ITEM.c.fingerprint).where(ITEM.c.id == match.item_id)
        ).scalar_one()
    assert stored == made.fingerprint


def test_three_sources_make_one_alert_listing_every_source(store: Store) -> None:
    """The wire and two reposts: one alert per chat, naming all three sources in order."""
    add_chat(store, 7)
    names = ("Xinhua", "Mekong Times", "TASS")
    ids = [add_source(store, name) for name in names]
    publish(store, ids[0], entry("x", XINHUA_CN_RU))
    publish(store, ids[1], entry("m", MEKONG_CN_RU), now=NOW + timedelta(minutes=30))
    publish(store, ids[2], entry("t", TASS_CN_RU), now=NOW + timedelta(hours=1))

    claimed = store.claim_outbox(
        now=NOW + timedelta(hours=1), limit=10, owner="t", lease_seconds=60
    )
    alerts = [a for a in claimed if a.edit is None]
    edits = [a for a in claimed if a.edit is not None]
    assert len(alerts) == 1
    assert alerts[0].sources == names
    assert alerts[0].source_name == "Xinhua"
    assert len(edits) == 2
    for edit in edits:  # an edit re-renders the original alert, whatever source it came from
        assert edit.edit is not None
        assert edit.edit.outbox_id == alerts[0].outbox_id
        assert (edit.title, edit.sources) == (XINHUA_CN_RU.title, names)
    assert len(set(stories(store).values())) == 1


def test_a_different_story_on_the_topic_alerts_normally(store: Store) -> None:
    """Two SCO anti-drug meetings reported by two sources are two alerts, in no story."""
    add_chat(store, 3)
    first, second = add_source(store, "Xinhua"), add_source(store, "TASS")
    publish(store, first, entry("a", SCO_BEIJING))
    send_all(store)
    (other,) = publish(store, second, entry("b", SCO_DUSHANBE), now=NOW + timedelta(hours=2))
    assert other.duplicate_of is None
    assert [(r["kind"], r["chat_id"]) for r in outbox(store)] == [("alert", 3), ("alert", 3)]
    assert set(stories(store).values()) == {None}


def test_a_repost_after_48_hours_alerts_again(store: Store) -> None:
    """The story window is 48 h: a repost two days and an hour later is news again."""
    add_chat(store, 4)
    first, second = add_source(store, "Xinhua"), add_source(store, "CGTN")
    publish(store, first, entry("a", XINHUA_CN_RU))
    send_all(store)
    (late,) = publish(store, second, entry("b", CGTN_CN_RU), now=NOW + timedelta(hours=49))
    assert late.duplicate_of is None
    assert [r["kind"] for r in outbox(store)] == ["alert", "alert"]


def test_a_repost_within_48_hours_is_still_the_story(store: Store) -> None:
    """Just inside the window, the lightly edited repost joins the story."""
    add_chat(store, 4)
    first, second = add_source(store, "Xinhua"), add_source(store, "CGTN")
    publish(store, first, entry("a", XINHUA_CN_RU))
    (repeat,) = publish(store, second, entry("b", CGTN_CN_RU), now=NOW + timedelta(hours=47))
    assert repeat.duplicate_of is not None
    assert [r["kind"] for r in outbox(store)] == ["alert", "edit"]


def test_a_chat_that_missed_the_story_gets_the_repost_as_an_alert(store: Store) -> None:
    """A chat whose threshold the first report missed still hears of the story, once."""
    add_chat(store, 5)
    add_chat(store, 6, threshold=0.9)
    first, second = add_source(store, "Xinhua"), add_source(store, "TASS")
    publish(store, first, entry("a", XINHUA_CN_RU, score=0.8))
    publish(store, second, entry("b", TASS_CN_RU, score=0.95), now=NOW + timedelta(hours=1))
    kinds = sorted((r["chat_id"], r["kind"]) for r in outbox(store))
    assert kinds == [(5, "alert"), (5, "edit"), (6, "alert")]


def test_a_source_already_in_the_story_adds_no_edit(store: Store) -> None:
    """The wire's own second copy of its story neither alerts nor edits (nothing new to list)."""
    add_chat(store, 8)
    xinhua, tass = add_source(store, "Xinhua"), add_source(store, "TASS")
    publish(store, xinhua, entry("x1", XINHUA_CN_RU))
    publish(store, tass, entry("t1", TASS_CN_RU), now=NOW + timedelta(hours=1))
    (again,) = publish(store, xinhua, entry("x2", CGTN_CN_RU), now=NOW + timedelta(hours=2))
    assert again.duplicate_of is not None
    assert [r["kind"] for r in outbox(store)] == ["alert", "edit"]
    assert len(set(stories(store).values())) == 1


def test_digest_alerts_get_no_edit_rows(store: Store) -> None:
    """A digest lists every source when it goes and is never edited: no edit row for it."""
    add_chat(store, 9, digest="hourly")
    add_chat(store, 10)
    first, second = add_source(store, "Xinhua"), add_source(store, "TASS")
    publish(store, first, entry("a", XINHUA_CN_RU))
    publish(store, second, entry("b", TASS_CN_RU), now=NOW + timedelta(minutes=5))
    rows = sorted((r["chat_id"], r["kind"], r["digest"]) for r in outbox(store))
    assert rows == [(9, "alert", True), (10, "alert", False), (10, "edit", False)]


def test_items_without_fingerprint_never_join_a_story(store: Store) -> None:
    """Matches stored before fingerprints existed (no fingerprint) alert as before."""
    add_chat(store, 11)
    first, second = add_source(store, "Xinhua"), add_source(store, "TASS")
    old = entry("a", XINHUA_CN_RU)
    old = type(old)(old.key, old.canonical_link, old.title_hash, old.item, old.matches)
    publish(store, first, old)
    (repeat,) = publish(store, second, entry("b", TASS_CN_RU), now=NOW + timedelta(hours=1))
    assert repeat.duplicate_of is None
    assert [r["kind"] for r in outbox(store)] == ["alert", "alert"]


def test_the_export_lists_every_source_of_a_story(store: Store) -> None:
    """`export` rows of a story's matches name the story's other sources too."""
    add_chat(store, 12)
    xinhua, mekong = add_source(store, "Xinhua"), add_source(store, "Mekong Times")
    publish(store, xinhua, entry("x", XINHUA_CN_RU))
    publish(store, mekong, entry("m", MEKONG_CN_RU), now=NOW + timedelta(hours=1))
    rows = list(iter_matches(store.engine))
    assert [row.sources for row in rows] == [
        ("Xinhua", "Mekong Times"),
        ("Mekong Times", "Xinhua"),
    ]


def test_recent_and_why_show_alerts_not_edits(store: Store) -> None:
    """/recent lists the story's one alert (with every source); /why of an edit row is unknown."""
    add_chat(store, 13)
    xinhua, tass = add_source(store, "Xinhua"), add_source(store, "TASS")
    publish(store, xinhua, entry("x", XINHUA_CN_RU))
    publish(store, tass, entry("t", TASS_CN_RU), now=NOW + timedelta(hours=1))
    (recent,) = store.recent_matches(13, 10)
    assert recent.sources == ("Xinhua", "TASS")
    edit_id = next(r["id"] for r in outbox(store) if r["kind"] == "edit")
    assert store.alert(edit_id) is None
    assert store.alert(recent.outbox_id) is not None
