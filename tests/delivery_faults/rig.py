"""The bench for delivery fault tests: a newsroom feed, seeded chats, `narcowatch run`, the DB."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bot.storage import open_store
from tests.scale.cluster import Database, Instance
from tests.support.cli import cli_env, free_port, start_cli, write_config
from tests.support.fake_bot_api import TOKEN
from tests.support.feedserver import FeedServer

TOPIC = "drug-control-cooperation"
FEED_PATH = "/news.xml"
COUNTRIES = (
    "China",
    "Russia",
    "Kazakhstan",
    "Myanmar",
    "Laos",
    "Thailand",
    "Vietnam",
    "Cambodia",
    "Kyrgyzstan",
    "Tajikistan",
    "Uzbekistan",
    "Pakistan",
    "India",
    "Mongolia",
    "the Philippines",
    "Australia",
)
DRUGS = ("methamphetamine", "heroin", "fentanyl", "opium", "ketamine", "synthetic drugs")
PACTS = (
    "joint anti-drug operation",
    "intelligence-sharing pact on narcotics",
    "cross-border drug control agreement",
    "joint patrol against drug trafficking",
    "anti-narcotics cooperation mechanism",
)


@dataclass
class Newsroom:
    """One RSS feed that only grows: a plain item at first, then matching stories on demand.

    Every story has its own guid, title and words, so no two of them look like the same story
    told twice (near-duplicates would be folded into one alert).
    """

    server: FeedServer
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    items: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.items.append(
            "<item><guid>plain-0</guid><title>City council approves a new park</title>"
            "<link>http://example.org/plain-0</link><description>A park opens in spring."
            "</description></item>"
        )
        self.serve()

    @property
    def url(self) -> str:
        return self.server.url(FEED_PATH)

    def serve(self) -> None:
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>Newsroom</title><link>http://example.org/</link><description>n</description>"
            + "".join(reversed(self.items))
            + "</channel></rss>"
        ).encode()
        self.server.add_feed(FEED_PATH, body, etag=f'"v{len(self.items)}"')

    def story(self, tag: str) -> str:
        a, b = self.rng.sample(COUNTRIES, 2)
        drug, pact = self.rng.choice(DRUGS), self.rng.choice(PACTS)
        filler = " ".join(f"w{self.rng.randrange(10**7)}" for _ in range(25))
        title = f"{a} and {b} sign {pact} ({tag})"
        text = f"Police of {a} and {b} will share intelligence on {drug} trafficking. {filler}"
        return (
            f"<item><guid>{tag}</guid><title>{escape(title)}</title>"
            f"<link>http://example.org/story/{tag}</link>"
            f"<description>{escape(text)}</description></item>"
        )

    def publish(self, tags: Sequence[str]) -> None:
        """Add a matching story per tag (its guid, and in its title) in one feed update."""
        self.items.extend(self.story(tag) for tag in tags)
        self.serve()


def seed_chats(database_url: str, chat_ids: Sequence[int], *, chat_type: str = "private") -> None:
    """Create the chats and subscribe each to the default topic, as /start and /subscribe do."""
    store = open_store(database_url)
    now = datetime.now(UTC)
    try:
        for chat_id in chat_ids:
            store.upsert_chat(chat_id, type=chat_type, title=None, now=now)
            store.subscribe(chat_id, TOPIC, now=now)
    finally:
        store.close()


def start_daemon(
    workdir: Path,
    name: str,
    *,
    feed_url: str,
    database_url: str,
    api_base_url: str,
    interval_s: float = 1.0,
    timers: Mapping[str, str] | None = None,
    alerts_per_poll: int | None = None,
) -> Instance:
    """`narcowatch run` on one source polled every `interval_s`, alerting through the fake API.

    `timers`: NARCOWATCH_TUNE_* variables (tests.support.cli.tuned) that shorten its timers.
    `alerts_per_poll`: telegram.max_alerts_per_poll, when a test's one poll may alert more
    than the default 10 to a chat and every one of them must go out on its own.
    """
    home = workdir / name
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(
        home,
        [{"name": "Newsroom", "url": feed_url, "interval": f"{interval_s:g}s"}],
        database_url=database_url,
        health_port=port,
        extra=None
        if alerts_per_poll is None
        else {"telegram": {"max_alerts_per_poll": alerts_per_poll}},
    )
    env = cli_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api_base_url,
        NARCOWATCH_LOG_FORMAT="json",
        **(timers or {}),
    )
    logs = home / "daemon"
    process = start_cli("run", "--config", str(config), env=env, output=logs)
    return Instance(name, process, port, logs)


class Outbox(Database):
    """What the outbox and chat tables say, read by the test beside the daemon."""

    def baseline_done(self) -> bool:
        """Whether the source had its first (baseline) poll, which alerts nothing."""
        return self.polled() >= 1

    def statuses(self) -> Counter[str]:
        return Counter({status: int(n) for status, n in self.rows(_STATUS_SQL)})

    def keys(self, status: str | None = None) -> set[tuple[int, int]]:
        """(chat id, match id) of every outbox row, or of the rows in one status."""
        if status is None:
            rows = self.rows("SELECT chat_id, match_id FROM outbox")
        else:
            rows = self.rows("SELECT chat_id, match_id FROM outbox WHERE status = :s", s=status)
        return {(int(chat), int(match)) for chat, match in rows}

    def rows_of(self, chat_id: int) -> list[tuple[str, int, str | None]]:
        """(status, attempts, last error) of one chat's outbox rows."""
        rows = self.rows(
            "SELECT status, attempts, last_error FROM outbox WHERE chat_id = :c ORDER BY id",
            c=chat_id,
        )
        return [(str(status), int(attempts), error) for status, attempts, error in rows]

    def chat_state(self, chat_id: int) -> tuple[bool, str | None]:
        """(active, deactivated reason) of a chat."""
        active, reason = self.rows(
            "SELECT active, deactivated_reason FROM chat WHERE id = :c", c=chat_id
        )[0]
        return bool(active), reason

    def matched_items(self) -> int:
        rows = self.rows('SELECT count(DISTINCT item_id) FROM "match" WHERE topic = :t', t=TOPIC)
        return int(rows[0][0])


_STATUS_SQL = "SELECT status, count(*) FROM outbox GROUP BY status"


def tail(instance: Instance, chars: int = 3000) -> str:
    """The end of a daemon's stderr, for assertion messages."""
    return instance.stderr.read_text(encoding="utf-8")[-chars:] if instance.stderr.exists() else ""
