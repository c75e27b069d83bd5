"""`narcowatch export` and `narcowatch sources ...` run as real subprocesses."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.models import HtmlSelectors
from bot.services.ports import PollSuccess
from bot.storage import SourceSpec, open_store
from bot.storage.exports import list_sources
from tests.data.conftest import AWKWARD_TITLE, Filled, entry, scored
from tests.data.test_opml import NESTED
from tests.support.cli import run_cli, write_config

pytestmark = pytest.mark.slow


def test_export_csv_applies_every_filter(filled: Filled, tmp_path: Path) -> None:
    """CSV export with --topic, --since and --min-score writes only the matching rows."""
    config = write_config(tmp_path, [], database_url=filled.url)
    out = tmp_path / "matches.csv"
    result = run_cli(
        "export",
        *("--config", str(config), "--topic", "drugs", "--since", "30d"),
        *("--min-score", "0.5", "--output", str(out)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"exported 2 matches to {out}" in result.stderr
    records = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert [(r["link"], r["sources"]) for r in records] == [
        ("https://news.example/a", "Wire"),
        ("https://news.example/d", "Agency"),
    ]
    assert records[1]["title"] == "'" + AWKWARD_TITLE
    assert records[1]["terms"] == "narcotics [drug] x2 | cooperation [signal] x1"
    assert not list(tmp_path.glob(".*.partial"))


def test_export_jsonl_to_stdout_has_every_match(filled: Filled, tmp_path: Path) -> None:
    """JSON Lines export to stdout gives one object per stored match, evidence included."""
    config = write_config(tmp_path, [], database_url=filled.url)
    result = run_cli("export", "--config", str(config), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["link"].rsplit("/", 1)[1], r["topic"], r["score"]) for r in rows] == [
        ("old", "drugs", 0.9),
        ("a", "drugs", 0.7),
        ("a", "other", 0.4),
        ("b", "drugs", 0.3),
        ("d", "drugs", 0.95),
    ]
    assert rows[-1]["title"] == AWKWARD_TITLE
    assert rows[-1]["entities"] == [{"name": "UNODC", "type": "org"}]
    assert datetime.fromisoformat(rows[0]["matched_at"]) < datetime.now(UTC)


def test_export_with_a_bad_since_exits_2(tmp_path: Path) -> None:
    """An unreadable --since is a usage error naming the option, exit 2, nothing written."""
    config = write_config(tmp_path, [])
    result = run_cli("export", "--config", str(config), "--since", "last week")
    assert result.returncode == 2
    assert "--since" in result.stderr
    assert "'last week' is neither a duration" in result.stderr
    assert result.stdout == ""


def test_sources_round_trip_through_opml(tmp_path: Path) -> None:
    """sources export from one database, then import into a fresh one, gives the same sources;
    --dry-run first changes nothing."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    config_a, config_b = write_config(first, []), write_config(second, [])
    now = datetime.now(UTC)
    store = open_store(f"sqlite:///{first / 'narcowatch.db'}")
    try:
        store.sync_config_sources(
            [SourceSpec("Wire", "https://wire.example/feed?x=1&y=2", interval_s=1800.0)], now=now
        )
        selectors = HtmlSelectors(item="li.news", title="a", link="a", date="time")
        page = SourceSpec(
            "Ministry", "https://ministry.example/", "html", 3600.0, ("drugs",), selectors
        )
        store.add_source(page, now=now)
        before = list_sources(store.engine)
    finally:
        store.close()
    opml = tmp_path / "sources.opml"

    exported = run_cli("sources", "--config", str(config_a), "export", "--output", str(opml))
    assert exported.returncode == 0, exported.stderr
    assert "exported 2 sources" in exported.stderr
    dry = run_cli("sources", "import", str(opml), "--dry-run", "--config", str(config_b))
    assert dry.returncode == 0, dry.stderr
    assert (
        dry.stdout.splitlines()[-1]
        == "2 would add, 0 skipped, 0 invalid (dry run: nothing changed)"
    )
    real = run_cli("sources", "import", str(opml), "--config", str(config_b))
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines()[-1] == "2 added, 0 skipped, 0 invalid"
    listed = run_cli("sources", "list", "--json", "--config", str(config_b))
    assert listed.returncode == 0, listed.stderr

    after = json.loads(listed.stdout)
    assert [(s["name"], s["url"], s["type"], s["interval_s"], s["topics"]) for s in after] == [
        (s.name, s.url, s.type, s.interval_s, list(s.topics) if s.topics else None) for s in before
    ]
    store = open_store(f"sqlite:///{second / 'narcowatch.db'}")
    try:
        assert [s.selectors for s in list_sources(store.engine)] == [None, selectors]
    finally:
        store.close()


def test_import_of_nested_opml_reports_added_skipped_and_invalid(tmp_path: Path) -> None:
    """Feeds in folders are added; one the config already has is skipped; bad ones are
    reported as file:line; then `sources list` shows the added sources."""
    config = write_config(
        tmp_path, [{"name": "Top news", "url": "https://top.example/feed", "interval": "1h"}]
    )
    opml = tmp_path / "reader.opml"
    opml.write_bytes(NESTED)
    result = run_cli("sources", "import", str(opml), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"added: {opml}:7: 'Xinhua' https://xinhua.example/rss",
        f"added: {opml}:9: 'Only a title' https://title.example/rss",
        f"skipped: {opml}:14: 'Top' https://top.example/feed: a source with this URL exists",
        "2 added, 1 skipped, 2 invalid",
    ]
    assert result.stderr.splitlines() == [
        f"invalid: {opml}:11: 'javascript:alert(1)' is not an http(s) URL",
        f"invalid: {opml}:12: a feed outline without xmlUrl",
    ]
    table = run_cli("sources", "list", "--config", str(config), env=None)
    assert table.returncode == 0, table.stderr
    assert "Xinhua" in table.stdout
    assert "telegram" in table.stdout
    assert "never" in table.stdout
    assert "1 config sources are not in the database yet" in table.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"<opml version='2.0'><body>\n<outline text='a'\n</body></opml>",
            ":3: not well-formed XML",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<opml/>',
            ":2: a DOCTYPE is not allowed in OPML",
        ),
    ],
)
def test_import_of_a_broken_file_exits_2_with_file_and_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """Malformed XML or a DOCTYPE (entity expansion) exits 2 with `FILE:LINE: message`."""
    config = write_config(tmp_path, [])
    opml = tmp_path / "broken.opml"
    opml.write_bytes(content)
    result = run_cli("sources", "import", str(opml), "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{opml}{message}")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "narcowatch.db").exists()


FORMULA_TITLES = (
    "Heroin seized;=cmd|' /C calc'!A0",
    'Seizure, +HYPERLINK("http://x.example")',
    "Raid\t@SUM(1)",
    "Ports | -2+3",
    "Ports;  =1+1",
    "Arrests\n=1+1",
)


def cells_as_split_by(text: str, delimiter: str) -> list[str]:
    """Every cell a spreadsheet set up for `delimiter` could see: the file read as CSV with
    that delimiter, and each line split on it naively, outer quotes and spaces removed."""
    records = csv.reader(io.StringIO(text), delimiter=delimiter)
    cells = [cell for record in records for cell in record]
    cells += [part for line in text.splitlines() for part in line.split(delimiter)]
    return [cell.strip().strip('"').strip() for cell in cells]


def test_export_csv_leaves_no_formula_however_a_spreadsheet_splits_cells(tmp_path: Path) -> None:
    """Titles with a formula after a `;`, `,`, tab, `|` or line break are exported so that no
    cell starts with = + - @, split on `,`, `;`, tab or `|`, by a CSV reader or naively."""
    url = f"sqlite:///{tmp_path / 'nw.db'}"
    store = open_store(url)
    try:
        now = datetime.now(UTC)
        store.sync_config_sources([SourceSpec(name="Wire", url="https://w.example/f")], now=now)
        (source,) = store.source_health()
        entries = [
            entry(f"k{n}", scored("drugs", 0.8), title=title)
            for n, title in enumerate(FORMULA_TITLES)
        ]
        success = PollSuccess(now=now, next_poll_at=now + timedelta(minutes=15))
        store.save_poll(source.id, success, entries, alert=True)
    finally:
        store.close()
    config = write_config(tmp_path, [], database_url=url)
    result = run_cli("export", "--config", str(config), "--format", "csv")
    assert result.returncode == 0, result.stderr
    records = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert {r["title"].replace("'", "") for r in records} == {
        t.replace("'", "") for t in FORMULA_TITLES
    }  # the text is all there; only apostrophes were added
    for delimiter in (",", ";", "\t", "|"):
        starts = [c for c in cells_as_split_by(result.stdout, delimiter) if c[:1] in "=+-@"]
        assert starts == [], delimiter
