"""Chat commands as use cases: parse the arguments, change the chat's settings, word the reply.

Nothing here knows Telegram; replies are Telegram HTML (feed and user text escaped). The store
is synchronous, so the Telegram adapter calls these methods through `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.arguments import parse_count, parse_id
from bot.core.ratelimit import parse_quiet_hours, zone_name
from bot.core.render import (
    MAX_MESSAGE,
    esc,
    join_within,
    render_why,
    safe_link,
    shorten,
    tg_length,
)
from bot.places.follow import place_codes
from bot.places.names import parse_places, split_names
from bot.places.table import Place, place_names, places_by_key
from bot.services.borderline import BORDERLINE_USAGE
from bot.services.delivery_jobs import alert_view
from bot.services.delivery_ports import ChatSettings, OutboxAlert
from bot.services.misses import MISSED_USAGE
from bot.services.search import SEARCH_USAGE
from bot.services.source_health import WatchedSource, status_line
from bot.settings.units import format_duration, parse_duration

RECENT_DEFAULT = 5
RECENT_MAX = 20
MAX_MUTE_S = 366 * 86400
MAX_PLACES = 30
SHOWN_UNKNOWN = 5
MEMBERS_LISTED = 12

USAGE = {
    "subscribe": "/subscribe &lt;topic&gt; — follow a topic (see /topics)",
    "unsubscribe": "/unsubscribe &lt;topic&gt; — stop following a topic",
    "threshold": "/threshold &lt;0..1&gt; — only alerts scoring at least this (or: off)",
    "mute": "/mute &lt;duration&gt; — pause alerts, e.g. /mute 2h",
    "unmute": "/unmute — resume alerts",
    "digest": "/digest &lt;off|hourly|daily&gt; — one message per hour or day instead",
    "quiet": "/quiet &lt;HH:MM-HH:MM|off&gt; [time zone] — hold alerts during these hours",
    "recent": "/recent [n] — your last n alerts (default 5, at most 20)",
    "why": "/why &lt;alert id&gt; — why an alert matched",
    "search": SEARCH_USAGE,
    "borderline": BORDERLINE_USAGE,
    "missed": MISSED_USAGE,
    "where": "/where &lt;country or region&gt;, ... — only alerts in which one of them acts "
    "(e.g. /where Central Asia, China; /where off; /where: show)",
    "status": "/status — this chat's settings and the service's state",
    "stats": "/stats [7d|30d|90d] — a picture of the period for your topics",
    "briefing": "/briefing &lt;weekly [day] [HH:MM]|daily [HH:MM]|off&gt; — a scheduled "
    "briefing: the picture and the top stories",
}


class Topic(Protocol):
    """A loaded topic as chats see it."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...


class Subscription(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def message_thread_id(self) -> int | None: ...


class ChatView(ChatSettings, Protocol):
    @property
    def threshold(self) -> float | None: ...
    @property
    def muted_sources(self) -> tuple[int, ...]: ...
    @property
    def places(self) -> tuple[str, ...]: ...


class SentAlert(OutboxAlert, Protocol):
    @property
    def status(self) -> str: ...


class ChatStore(Protocol):
    """Chats, subscriptions and alert history as the commands need them."""

    def upsert_chat(
        self, chat_id: int, *, type: str, title: str | None, now: datetime
    ) -> ChatView: ...
    def get_chat(self, chat_id: int) -> ChatView | None: ...
    def subscribe(
        self, chat_id: int, topic: str, thread_id: int | None = None, *, now: datetime
    ) -> bool: ...
    def unsubscribe(self, chat_id: int, topic: str) -> bool: ...
    def subscriptions_of(self, chat_id: int) -> Sequence[Subscription]: ...
    def set_threshold(self, chat_id: int, threshold: float | None) -> bool: ...
    def set_places(self, chat_id: int, places: Sequence[str]) -> bool: ...
    def set_mute(self, chat_id: int, until: datetime | None) -> bool: ...
    def set_digest(self, chat_id: int, mode: str) -> bool: ...
    def set_quiet_hours(
        self, chat_id: int, *, start: int | None, end: int | None, timezone: str
    ) -> bool: ...
    def mute_source(self, chat_id: int, source_id: int, *, muted: bool = True) -> bool: ...
    def record_feedback(
        self, match_id: int, chat_id: int, user_id: int, verdict: str, *, now: datetime
    ) -> object: ...
    def delivered_to(self, match_id: int, chat_id: int) -> bool: ...
    def recent_matches(
        self, chat_id: int, n: int, places: frozenset[str] | None = None
    ) -> Sequence[SentAlert]: ...
    def alert(self, outbox_id: int) -> SentAlert | None: ...
    def outbox_backlog(self, now: datetime) -> tuple[int, datetime | None]: ...
    def source_health(self) -> Sequence[WatchedSource]: ...


@dataclass(frozen=True, slots=True)
class ChatRef:
    """The chat a command came from, and the forum thread when there is one."""

    id: int
    type: str = "private"
    title: str | None = None
    thread_id: int | None = None


class Subscriptions:
    """What each chat command does; every method returns the HTML reply."""

    def __init__(
        self,
        store: ChatStore,
        topics: Callable[[], Sequence[Topic]],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.topics = topics
        self.clock = clock

    def known_topics(self) -> dict[str, str]:
        return {topic.id: topic.title for topic in self.topics()}

    def register(self, chat: ChatRef) -> ChatView:
        """Make sure the chat row exists (every command does this first)."""
        return self.store.upsert_chat(chat.id, type=chat.type, title=chat.title, now=self.clock())

    def followed(self, chat_id: int) -> tuple[str, ...]:
        """The topics the chat follows."""
        return tuple(s.topic for s in self.store.subscriptions_of(chat_id))

    def start(self, chat: ChatRef) -> str:
        self.register(chat)
        return (
            "<b>narcowatch</b> alerts you when a news item matches a topic you follow, "
            "and says why it matched.\n\nTap a topic below to subscribe, or see /help."
        )

    def help(self) -> str:
        lines = ["<b>Commands</b>", "/topics — the topics you can follow"]
        lines.extend(USAGE.values())
        return "\n".join(lines)

    def list_topics(self, chat: ChatRef) -> str:
        followed = {s.topic for s in self.store.subscriptions_of(chat.id)}
        topics = self.known_topics()
        if not topics:
            return "No topics are loaded."
        lines = ["<b>Topics</b>"]
        for topic_id, title in topics.items():
            mark = "✅" if topic_id in followed else "▫️"
            lines.append(f"{mark} <code>{esc(topic_id)}</code> — {esc(title)}")
        lines.append("\n/subscribe &lt;topic&gt; to follow one.")
        return "\n".join(lines)

    def subscribe(self, chat: ChatRef, topic: str) -> str:
        topics = self.known_topics()
        if topic not in topics:
            known = ", ".join(f"<code>{esc(t)}</code>" for t in topics) or "none"
            return f"Unknown topic <code>{esc(shorten(topic, 60))}</code>. Known: {known}."
        self.register(chat)
        new = self.store.subscribe(chat.id, topic, chat.thread_id, now=self.clock())
        where = " in this thread" if chat.thread_id is not None else ""
        if not new:
            return (
                f"Already subscribed to <b>{esc(topics[topic])}</b>; alerts go{where or ' here'}."
            )
        return (
            f"Subscribed to <b>{esc(topics[topic])}</b>{where}. "
            "You will get alerts for matching items found from now on."
        )

    def unsubscribe(self, chat: ChatRef, topic: str) -> str:
        if self.store.unsubscribe(chat.id, topic):
            return f"Unsubscribed from <code>{esc(topic)}</code>."
        return f"This chat does not follow <code>{esc(shorten(topic, 60))}</code>."

    def threshold(self, chat: ChatRef, arg: str) -> str:
        self.register(chat)
        if arg.lower() in ("off", "default"):
            self.store.set_threshold(chat.id, None)
            return "Threshold reset: each topic's own threshold applies."
        try:
            value = float(arg.replace(",", "."))
        except ValueError:
            return "Usage: " + USAGE["threshold"]
        if not 0.0 <= value <= 1.0:
            return "Usage: " + USAGE["threshold"]
        self.store.set_threshold(chat.id, value)
        return f"Only alerts scoring at least {value:.2f} will be sent here."

    def mute(self, chat: ChatRef, arg: str) -> str:
        try:
            seconds = parse_duration(arg)
        except ValueError:
            return "Usage: " + USAGE["mute"]
        if seconds > MAX_MUTE_S:
            return f"Usage: {USAGE['mute']} (at most {MAX_MUTE_S // 86400}d)"
        self.register(chat)
        until = self.clock() + timedelta(seconds=seconds)
        self.store.set_mute(chat.id, until)
        return (
            f"Muted for {format_duration(seconds)}, until {until:%Y-%m-%d %H:%M} UTC. "
            "Alerts found meanwhile are not sent (see /recent). /unmute to resume."
        )

    def unmute(self, chat: ChatRef) -> str:
        self.register(chat)
        self.store.set_mute(chat.id, None)
        return "Alerts resumed."

    def digest(self, chat: ChatRef, arg: str) -> str:
        mode = arg.lower()
        if mode not in ("off", "hourly", "daily"):
            return "Usage: " + USAGE["digest"]
        self.register(chat)
        self.store.set_digest(chat.id, mode)
        if mode == "off":
            return "Digest off: each alert is sent as it is found."
        when = "at the top of every hour" if mode == "hourly" else "every day at 08:00"
        return f"Alerts will be gathered into one message {when}."

    def quiet(self, chat: ChatRef, args: Sequence[str]) -> str:
        if not args:
            return "Usage: " + USAGE["quiet"]
        self.register(chat)
        if args[0].lower() == "off":
            self.store.set_quiet_hours(chat.id, start=None, end=None, timezone="UTC")
            return "Quiet hours off."
        window = parse_quiet_hours(args[0])
        given = args[1] if len(args) > 1 else "UTC"
        if window is None or len(args) > 2:
            return "Usage: " + USAGE["quiet"]
        tz_name = zone_name(given)
        if tz_name is None:
            return (
                f"Unknown time zone <code>{esc(shorten(given, 60))}</code>: give a name from the "
                "tz database, such as Europe/Berlin or Asia/Shanghai.\nUsage: " + USAGE["quiet"]
            )
        self.store.set_quiet_hours(chat.id, start=window[0], end=window[1], timezone=tz_name)
        return f"Quiet hours {esc(args[0])} ({esc(tz_name)}): alerts wait until they end."

    def recent(self, chat: ChatRef, args: Sequence[str]) -> str:
        count = RECENT_DEFAULT
        if args:
            asked = parse_count(args[0], low=1, high=RECENT_MAX)
            if asked is None or len(args) > 1:
                return "Usage: " + USAGE["recent"]
            count = asked
        info = self.store.get_chat(chat.id)
        places = info.places if info is not None else ()
        alerts = self.store.recent_matches(chat.id, count, place_codes(places))
        if not alerts:
            where = f" in {esc(', '.join(place_names(places)))}" if places else ""
            return f"No alerts yet for this chat{where}."
        entries = []
        for alert in alerts:
            link = safe_link(alert.link)
            title = esc(shorten(alert.title or "(untitled)", 150))
            head = f'<a href="{esc(link)}">{title}</a>' if link else title
            entries.append(
                f"#{alert.outbox_id} {head}\n   {esc(alert.score.topic)} "
                f"{alert.score.score:.2f} · {esc(alert.status)} · /why {alert.outbox_id}"
            )
        # One message: as many whole alerts as fit, and the heading says how many those are.
        for shown in range(len(entries), 0, -1):
            heading = f"<b>Last {len(alerts)} alerts</b>"
            if shown < len(entries):
                heading = f"<b>Last {shown} of {len(alerts)} alerts</b> (the rest did not fit)"
            text = "\n".join([heading, *entries[:shown]])
            if tg_length(text) <= MAX_MESSAGE:
                return text
        return join_within([f"<b>Last {len(alerts)} alerts</b>", *entries], MAX_MESSAGE)

    def why(self, chat: ChatRef, arg: str) -> str:
        alert_id = parse_id(arg)
        if alert_id is None:
            return "Usage: " + USAGE["why"]
        alert = self.store.alert(alert_id)
        if alert is None or alert.chat_id != chat.id:
            return f"No alert #{alert_id} in this chat (see /recent)."
        return render_why(alert_view(alert))

    def status(self, chat: ChatRef) -> str:
        info = self.store.get_chat(chat.id) or self.register(chat)
        subs = self.store.subscriptions_of(chat.id)
        now = self.clock()
        backlog, _oldest = self.store.outbox_backlog(now)
        topics = ", ".join(f"<code>{esc(s.topic)}</code>" for s in subs) or "none (/topics)"
        muted = (
            f"until {info.muted_until:%Y-%m-%d %H:%M} UTC"
            if info.muted_until is not None and info.muted_until > now
            else "no"
        )
        threshold = f"{info.threshold:.2f}" if info.threshold is not None else "topic default"
        places = esc(", ".join(place_names(info.places))) if info.places else "everywhere"
        quiet = (
            f"{info.quiet_start // 60:02d}:{info.quiet_start % 60:02d}-"
            f"{info.quiet_end // 60:02d}:{info.quiet_end % 60:02d} {esc(info.timezone)}"
            if info.quiet_start is not None and info.quiet_end is not None
            else "off"
        )
        return "\n".join(
            [
                "<b>This chat</b>",
                f"Topics: {topics}",
                f"Threshold: {threshold}",
                f"Places: {places}",
                f"Muted: {muted}",
                f"Digest: {esc(info.digest)}",
                f"Quiet hours: {quiet}",
                f"Muted sources: {len(info.muted_sources)}",
                "",
                f"Alerts waiting to be sent (all chats): {backlog}",
                status_line(self.store.source_health()),
            ]
        )

    def where(self, chat: ChatRef, arg: str) -> str:
        """/where: show the chat's places (no argument), follow some, or none (`off`)."""
        info = self.register(chat)
        text = arg.strip()
        if not text:
            if not info.places:
                return "This chat gets alerts from everywhere.\nUsage: " + USAGE["where"]
            return "Alerts only when one of these acts:\n" + _describe(info.places)
        if text.casefold() in ("off", "everywhere", "all"):
            self.store.set_places(chat.id, [])
            return "Places off: alerts from everywhere."
        if len(split_names(text)) > MAX_PLACES:
            return f"At most {MAX_PLACES} places. Nothing changed."
        places, unknown = parse_places(text)
        if unknown:
            lines = []
            for name in unknown[:SHOWN_UNKNOWN]:
                near = ", ".join(f"<b>{esc(s)}</b>" for s in name.suggestions)
                hint = f" Closest: {near}." if near else ""
                lines.append(f"Unknown place <code>{esc(shorten(name.text, 60))}</code>.{hint}")
            return "\n".join([*lines, "Nothing changed. Usage: " + USAGE["where"]])
        self.store.set_places(chat.id, [place.key for place in places])
        return (
            "Alerts only when one of these acts (the actors that counted, not every country "
            "named):\n" + _describe([place.key for place in places]) + "\n/where off: everywhere."
        )

    def feedback(self, chat_id: int, user_id: int, match_id: int, verdict: str) -> bool:
        """Store a verdict on a match that was delivered to this chat; False for any other
        (a button can be forged with any id: it must not vote on other chats' alerts)."""
        if not self.store.delivered_to(match_id, chat_id):
            return False
        self.store.record_feedback(match_id, chat_id, user_id, verdict, now=self.clock())
        return True

    def mute_source(self, chat: ChatRef, source_id: int) -> bool:
        self.register(chat)
        return self.store.mute_source(chat.id, source_id)


def _members(place: Place) -> str:
    if place.kind == "country":
        return ""
    names = sorted(place_names(sorted(place.members)))
    if len(names) > MEMBERS_LISTED:
        return f" ({len(names)} countries)"
    return f" ({', '.join(names)})"


def _describe(keys: Sequence[str]) -> str:
    """One line per place: its name and, for a region, its countries."""
    by_key = places_by_key()
    lines = []
    for key in keys:
        place = by_key.get(key)
        shown = f"<b>{esc(place.name)}</b>{esc(_members(place))}" if place else esc(key)
        lines.append(f"• {shown}")
    return "\n".join(lines)
