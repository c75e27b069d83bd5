"""Make the briefing pictures (docs/img) from real news with the project's own code and commands.

Run: .venv/bin/python docs/make_screenshots.py   (needs ../shared/eval and `chromium`)

1. The labelled news items in ../shared/eval are scored by the default topic's matcher and
   the matched ones stored as a poll stores them (fingerprints, near-duplicate stories, the
   actors of each match). Demo only: their match times are spread over the last 60 days in
   publication order, since the real dates span fifteen years and a briefing shows a month
   (the earlier 30 days are the "previous period" the change is measured against).
2. docs/img/briefing-stats.png: the picture `/stats 30d` sends (the same service and drawing
   calls the command makes), shrunk to half size.
3. docs/img/report.png: `narcowatch report --since 30d` rendered by headless Chromium at
   phone width (390 px), its first screens.
4. docs/img/report-network.png and docs/img/report-network-phone.png: the report's "Who
   worked with whom" section (the network picture and the top pairs) at desktop width
   (1100 px) and at phone width (390 px), cut out of full-page screenshots.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bot.core.fingerprint import fingerprint  # noqa: E402
from bot.core.models import Item  # noqa: E402
from bot.drawing.charts import briefing_png  # noqa: E402
from bot.matching import compile_topics, load_topics  # noqa: E402
from bot.services.briefing import Briefings  # noqa: E402
from bot.services.ports import PollSuccess, StoredEntry  # noqa: E402
from bot.storage import SourceSpec, open_store  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
TOPIC_FILE = ROOT / "config" / "topics" / "drug-control-cooperation.yaml"
OUT = ROOT / "docs" / "img"
CHAT = 1


def matched_items(now: datetime) -> list[tuple[datetime, str, StoredEntry]]:
    """(demo match time, source name, entry) for every eval item the topic matches."""
    matcher = compile_topics(load_topics([TOPIC_FILE], env=os.environ))
    found = []
    for name in ("dev.jsonl", "train.jsonl", "train2.jsonl", "train3.jsonl"):
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            item = Item(
                title=record["title"],
                summary=record.get("summary") or "",
                link=record.get("url"),
                lang=record.get("lang"),
            )
            scores = tuple(s for s in matcher.score(item) if s.matched)
            if not scores:
                continue
            print_ = fingerprint(item.title, item.summary)
            entry = StoredEntry(
                key=record["id"],
                canonical_link=item.link,
                title_hash=hashlib.sha256(item.title.encode()).hexdigest(),
                item=item,
                matches=scores,
                fingerprint=print_.simhash,
            )
            source = urlsplit(item.link or "").hostname or "unknown"
            found.append((str(record.get("published") or ""), source.removeprefix("www."), entry))
    found.sort(key=lambda row: row[0])
    span = timedelta(days=59)
    return [
        (now - span + span * n / max(len(found) - 1, 1), source, entry)
        for n, (_published, source, entry) in enumerate(found)
    ]


def screenshot(page: Path, tmp: Path, width: int, height: int) -> Image.Image:
    """The page in headless Chromium at `width` CSS pixels, `height` tall."""
    shot = tmp / f"shot-{width}.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={width},{height}",
            f"--user-data-dir={tmp / 'profile'}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
    )
    return Image.open(shot).convert("RGB")


def network_section(image: Image.Image) -> Image.Image:
    """The rows from the network picture's first node to the end of the pairs table: found by
    the node colours (blue countries, orange bodies), then 1,100 px below for the table."""
    import numpy as np

    pixels = np.asarray(image, dtype=int)
    orange = np.all(np.abs(pixels - np.array([0xD9, 0x82, 0x2B])) <= 8, axis=2)
    rows = np.flatnonzero(orange.sum(axis=1) > 3)
    top = max(0, int(rows.min()) - 140)
    return image.crop((0, top, image.width, min(image.height, top + 1500)))


def main() -> int:
    if not EVAL.is_dir():
        print(f"{EVAL} is missing: nothing to draw from", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        store = open_store(url)
        items = matched_items(now)
        names = sorted({source for _at, source, _entry in items})
        store.sync_config_sources(
            [SourceSpec(name=n, url=f"https://{n}/feed") for n in names], now=now - timedelta(60)
        )
        ids = {s.name: s.id for s in store.source_health()}
        for at, source, entry in items:
            success = PollSuccess(now=at, next_poll_at=at + timedelta(minutes=15))
            store.save_poll(ids[source], success, [entry], alert=True)
        store.upsert_chat(CHAT, type="private", title="demo", now=now)
        store.subscribe(CHAT, "drug-control-cooperation", None, now=now)
        png = briefing_png(Briefings(store, lambda: now).stats(CHAT, 30))
        store.close()
        image = Image.open(io.BytesIO(png)).convert("RGB")
        image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
        image.save(OUT / "briefing-stats.png", optimize=True)

        config = Path(tmp) / "narcowatch.yaml"
        config.write_text(f"database_url: {url}\ntopics: [{TOPIC_FILE}]\n", encoding="utf-8")
        page = Path(tmp) / "report.html"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "report",
                "--config",
                str(config),
                "--since",
                "30d",
                "--output",
                str(page),
            ],
            check=True,
            cwd=ROOT,
        )
        phone = screenshot(page, Path(tmp), 390, 9000)
        phone.crop((0, 0, 390, 2200)).save(OUT / "report.png", optimize=True)
        network_section(phone).save(OUT / "report-network-phone.png", optimize=True)
        wide = screenshot(page, Path(tmp), 1100, 9000)
        network_section(wide).save(OUT / "report-network.png", optimize=True)
    for name in (
        "briefing-stats.png",
        "report.png",
        "report-network.png",
        "report-network-phone.png",
    ):
        path = OUT / name
        print(f"{path.relative_to(ROOT)}: {Image.open(path).size}, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
