"""`narcowatch report` as a reader gets it: the real CLI, then the page in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from bot.cli import main
from bot.drawing.charts import BAR, BAR_LIGHT
from bot.storage import open_store
from tests.briefing.conftest import TOPIC, Stored, store_matches
from tests.support.cli import run_cli, write_config
from tests.support.html_check import check_page
from tests.support.skips import skip_or_fail_in_ci

CN, MM, TH = ("China", "country"), ("Myanmar", "country"), ("Thailand", "country")
UNODC, SCO = ("UNODC", "organisation"), ("SCO", "organisation")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose SQLite database holds three weeks of matches from four outlets."""
    url = f"sqlite:///{tmp_path / 'narcowatch.db'}"
    now = datetime.now(UTC)
    items = []
    for n in range(24):
        at = now - timedelta(hours=6 + 20 * n)
        items.append(
            Stored(
                f"Mekong patrol {n}: China, Myanmar and Thailand seize methamphetamine",
                at,
                source=("Xinhua", "Bangkok Post", "Irrawaddy", "UN News")[n % 4],
                entities=(CN, MM, TH, UNODC) if n % 3 else (CN, SCO),
                score=0.6 + (n % 4) / 10,
            )
        )
    items.append(
        Stored(
            "上合组织禁毒合作会议",
            now - timedelta(days=2),
            source="新华网",
            lang="zh",
            entities=(CN, SCO),
            link="https://xinhua.example/1",
        )
    )
    store = open_store(url)
    try:
        store_matches(store, items)
    finally:
        store.close()
    return write_config(tmp_path, [], database_url=url)


def test_json_report_has_the_periods_numbers(config: Path) -> None:
    """--format json: totals, per-day counts, countries, stories with their sources."""
    result = CliRunner().invoke(
        main, ["report", "--config", str(config), "--since", "7d", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 10  # items at 6 h, 26 h, ... 166 h, and the Chinese one
    assert len(data["per_day"]) in (7, 8)
    assert sum(day["count"] for day in data["per_day"]) == 10
    assert data["topics"] == [TOPIC]
    assert {"name": "China", "count": 10} in data["countries"]
    assert data["stories"][0]["sources"]
    assert "matched items" in result.stderr


def test_bad_since_is_refused_with_exit_2(config: Path) -> None:
    """A --since that is not a duration or date names the problem."""
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--since", "soon"])
    assert result.exit_code == 2
    assert "--since" in result.stderr
    assert "soon" in result.stderr


BROWSER_OWN = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com")
"""Chromium's own traffic (component updates, sign-in) that no flag turns off in Debian's
build; whatever else reaches the proxy came from the page."""


def page_requests(seen: list[str]) -> list[str]:
    """The recorded requests that are not Chromium talking to its own services."""
    found = []
    for request in seen:
        target = request.split(" ", 1)[1]
        host = target.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        if not any(host == own or host.endswith("." + own) for own in BROWSER_OWN):
            found.append(request)
    return found


class _Recorder(BaseHTTPRequestHandler):
    """Answers 404 to anything and remembers it: any request the page makes ends up here."""

    seen: ClassVar[list[str]] = []

    def _record(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.end_headers()

    do_GET = do_POST = do_CONNECT = do_HEAD = _record

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[str]]]:
    """A loopback proxy that records requests; Chromium is pointed at it."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        skip_or_fail_in_ci(
            "LOUD SKIP: chromium is not installed (apt-get install chromium); .ci/run does"
        )
    return found


def screenshot(page: Path, out: Path, proxy_port: int) -> Image.Image:
    """Render `page` headless at 1100 px wide; every request goes to the recording proxy."""
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            f"--proxy-server=http://127.0.0.1:{proxy_port}",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1100,1400",
            "--virtual-time-budget=1000",
            f"--user-data-dir={out.parent / 'chromium-profile'}",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    return Image.open(out).convert("RGB")


def _near(image: Image.Image, hex_colour: str, tolerance: int = 12) -> np.ndarray:
    """A boolean mask of the pixels within `tolerance` of the colour in every channel."""
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return np.all(np.abs(np.asarray(image, dtype=int) - target) <= tolerance, axis=2)


@pytest.mark.slow
def test_report_renders_its_charts_in_chromium_without_a_request(
    config: Path, tmp_path: Path, recorder: tuple[int, list[str]]
) -> None:
    """The HTML report validates, Chromium draws its bars, and the page asks for nothing,
    while a page with one external image is caught asking (the check can fail)."""
    port, seen = recorder
    page = tmp_path / "report.html"
    result = run_cli("report", "--config", str(config), "--since", "30d", "--output", str(page))
    assert result.returncode == 0, result.stderr
    assert check_page(page.read_text(encoding="utf-8")).problems == []

    image = screenshot(page, tmp_path / "report.png", port)
    dark, light = _near(image, BAR), _near(image, BAR_LIGHT)
    assert dark.sum() > 20_000, dark.sum()  # the day bars and the first bar of each ranking
    assert light.sum() > 5_000, light.sum()  # the other ranking bars
    rows = np.flatnonzero(dark.any(axis=1))
    region = np.asarray(image.convert("L"))[rows.min() : rows.max() + 1]
    ink = (region < 240).mean()  # the chart region is drawn, not blank
    assert ink > 0.08, ink
    assert page_requests(seen) == []

    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><img src="http://cdn.example/x.png">', encoding="utf-8")
    screenshot(control, tmp_path / "control.png", port)
    assert any("cdn.example" in request for request in page_requests(seen)), seen


def test_report_with_a_dollar_sign_source_name_writes_its_page(tmp_path: Path) -> None:
    """A source titled with `$...$` (from a feed) is shown as written; the report is written."""
    url = f"sqlite:///{tmp_path / 'narcowatch.db'}"
    name = r"Drug $\frac{news$ $\x$"
    store = open_store(url)
    try:
        at = datetime.now(UTC) - timedelta(hours=3)
        store_matches(store, [Stored("China and Myanmar seize heroin", at, source=name)])
    finally:
        store.close()
    config = write_config(tmp_path, [], database_url=url)
    page = tmp_path / "report.html"
    result = run_cli("report", "--config", str(config), "--since", "7d", "--output", str(page))
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert check_page(html).problems == []
    assert html.count(r"Drug $\frac{news$ $\x$") >= 2  # the chart's text and the table
