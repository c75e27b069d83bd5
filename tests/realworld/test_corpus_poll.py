"""Every real-world capture served from loopback and polled once by the real CLI, then judged
per capture: polled without error, every item stored, text in its script, no mojibake, links
absolute."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import create_engine, text

from bot.storage import normalise_url
from tests.support.cli import run_cli, write_config
from tests.support.realfeeds import ABSENT, Capture, captures, require_realfeeds

# One worker runs every test of the module, so the whole corpus is polled once, not once per
# xdist worker that happens to draw one of its tests.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("realfeeds-corpus")]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# UTF-8 read as Latin-1 or cp1252: a lead byte's letter followed by a continuation byte's
# character ("â€™" for "’", "Ã©" for "é", "Ð¼" for "м"), and C1 controls, which no real text has.
MOJIBAKE = re.compile(r"[ÂÃÐÑâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|[\u0080-\u009f]")
MIN_DETECTED = 5
# Manifest counts that include an <item> with nothing in it: no title, link, guid or text.
# There is nothing to store or alert, so it is not an item (as the nested empty <item>s of
# the pcmag capture, which its manifest row already leaves out).
EMPTY_ITEMS = {"fr-no-prolog-iso8859-cerclepsy.xml": 1}
NO_ARTICLES_PATH = "agency-home.html"
NO_ARTICLES_PAGE = (
    b"<html><body><nav><a href='/'>Home</a> <a href='/about/'>About the agency</a></nav>"
    b"<ul><li><a href='/press/'>Press</a></li><li><a href='/contact/'>Contact us</a></li></ul>"
    b"<p>Welcome. Our annual report is <a href='/2024/report-2024'>available here</a>.</p>"
    b"</body></html>"
)


@dataclass(frozen=True, slots=True)
class StoredItem:
    title: str
    link: str | None
    summary: str
    content: str

    @property
    def text(self) -> str:
        return "\n".join((self.title, self.summary, self.content))


@dataclass(frozen=True, slots=True)
class Polled:
    error: str | None
    items: list[StoredItem]


class _CaptureHandler(BaseHTTPRequestHandler):
    """Serves `/<file>` from the captures with the content type of its kind."""

    types: ClassVar[dict[str, str]] = {}
    folder: ClassVar[Path] = Path()

    def do_GET(self) -> None:
        name = unquote(urlsplit(self.path).path.lstrip("/"))
        if name == NO_ARTICLES_PATH:
            content_type, body = "text/html; charset=utf-8", NO_ARTICLES_PAGE
        elif name in self.types:
            content_type, body = self.types[name], (self.folder / name).read_bytes()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads results from the database."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Polled]]:
    """One `poll --once` over every capture; the stored outcome per file name."""
    require_realfeeds()
    rows = captures()
    handler = type(
        "Handler",
        (_CaptureHandler,),
        {"types": {c.file: c.content_type for c in rows}, "folder": rows[0].path.parent},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        tmp = tmp_path_factory.mktemp("corpus")
        sources = [
            {
                "name": c.file,
                "url": f"{base}/{c.file}",
                "type": "html" if c.kind == "html" else "feed",
            }
            for c in rows
        ]
        sources.append(
            {"name": NO_ARTICLES_PATH, "url": f"{base}/{NO_ARTICLES_PATH}", "type": "html"}
        )
        config = write_config(
            tmp,
            sources,
            extra={
                "polling": {"interval": "1h", "timeout": "20s", "concurrency": 8, "per_host": 8}
            },
        )
        done = run_cli("poll", "--once", "--config", str(config), timeout=110)
        assert done.returncode == 0, done.stderr
        yield _stored(f"sqlite:///{tmp / 'narcowatch.db'}")
    finally:
        server.shutdown()
        server.server_close()


def _stored(database_url: str) -> dict[str, Polled]:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as conn:
            sources = conn.execute(text("SELECT id, name, last_error FROM source")).all()
            items = conn.execute(
                text("SELECT source_id, title, link, summary, content FROM item ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    polled = {name: Polled(error, []) for _, name, error in sources}
    names = {source_id: name for source_id, name, _ in sources}
    for source_id, title, link, summary, content in items:
        polled[names[source_id]].items.append(StoredItem(title, link, summary, content))
    return polled


def _rows() -> list[object]:
    rows = captures()
    if not rows:
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT), id="absent")]
    return [pytest.param(row, id=row.file) for row in rows]


@pytest.mark.parametrize("capture", _rows())
def test_capture_is_polled_with_all_its_items(capture: Capture, corpus: dict[str, Polled]) -> None:
    """The capture polls without error and stores the number of items its manifest row counts
    (a page: at least five detected articles)."""
    polled = corpus[capture.file]
    assert polled.error is None, polled.error
    if capture.expected_items is None:
        assert len(polled.items) >= MIN_DETECTED
    else:
        assert len(polled.items) == capture.expected_items - EMPTY_ITEMS.get(capture.file, 0)


@pytest.mark.parametrize("capture", _rows())
def test_capture_text_is_clean_and_in_its_script(
    capture: Capture, corpus: dict[str, Polled]
) -> None:
    """No replacement characters, no mojibake, and Chinese or Russian captures read as CJK or
    Cyrillic in most item titles."""
    items = corpus[capture.file].items
    assert items
    for item in items:
        assert "\ufffd" not in item.text, item.title
        assert not MOJIBAKE.search(item.text), (item.title, MOJIBAKE.search(item.text))
    script = {"zh": CJK, "ru": CYRILLIC}.get(capture.language.split("-")[0])
    if script is not None:
        in_script = [item.title for item in items if script.search(item.text)]
        assert len(in_script) * 2 > len(items), [item.title for item in items][:5]
    else:
        assert not any(CJK.search(item.text) or CYRILLIC.search(item.title) for item in items)


@pytest.mark.parametrize("capture", _rows())
def test_capture_links_are_absolute(capture: Capture, corpus: dict[str, Polled]) -> None:
    """Every stored link is an absolute http(s) URL with a host."""
    links = [item.link for item in corpus[capture.file].items if item.link]
    assert links, "no item has a link"
    for link in links:
        parts = urlsplit(link)
        assert parts.scheme in ("http", "https"), link
        assert parts.hostname, link


def test_page_without_articles_fails_its_source_clearly(corpus: dict[str, Polled]) -> None:
    """An html source whose page has nothing article-like is that source's failure, with the
    reason on the source row, not a success with zero items; the other sources are unharmed."""
    polled = corpus[NO_ARTICLES_PATH]
    assert polled.items == []
    assert polled.error is not None
    assert "no article list found on the page" in polled.error
