"""Who worked with whom and `--where`, through the real CLI on SQLite and PostgreSQL: the
pairs of `report --format json`, the network and pairs table of the HTML page, and the place
filter of `report` and `export`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import open_store
from tests.briefing.conftest import Stored, store_matches
from tests.support.cli import run_cli, write_config
from tests.support.html_check import check_page

pytestmark = pytest.mark.slow

HOSTILE = '<script>alert(1)</script> "Kazakh" & Russian police'


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    """This week: Kazakhstan-Russia three times (en, ru, zh), China-Laos twice, China-US
    once. The week before: Kazakhstan-Russia once, China-Laos four times."""
    now = datetime.now(UTC)
    this_week = [
        (HOSTILE, "en", ("KZ", "RU", "CARICC")),
        ("Казахстан и Россия провели совместную операцию", "ru", ("KZ", "RU")),
        ("哈萨克斯坦与俄罗斯开展禁毒合作", "zh", ("RU", "KZ")),
        ("China and Laos patrol the Mekong", "en", ("CN", "LA")),
        ("中老联合巡逻", "zh", ("CN", "LA")),
        ("China and US talk fentanyl", "en", ("CN", "US")),
    ]
    week_before = [("Kazakhstan, Russia", ("KZ", "RU"))] + [
        (f"China, Laos {n}", ("CN", "LA")) for n in range(4)
    ]
    items = [
        Stored(title, now - timedelta(days=1, hours=n), lang=lang, actors=actors)
        for n, (title, lang, actors) in enumerate(this_week)
    ] + [
        Stored(title, now - timedelta(days=9, hours=n), actors=actors)
        for n, (title, actors) in enumerate(week_before)
    ]
    store = open_store(database_url)
    try:
        store_matches(store, items)
    finally:
        store.close()
    return write_config(tmp_path, [], database_url=database_url)


def report_json(config: Path, *args: str) -> dict[str, object]:
    result = run_cli("report", "--config", str(config), "--since", "7d", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_json_report_lists_the_pairs_with_their_change_and_stories(config: Path) -> None:
    """Each pair: both actors (codes and names), items now and before, the change, its stories."""
    data = report_json(config)
    pairs = {(p["a"], p["b"]): p for p in data["pairs"]}  # type: ignore[attr-defined, index]
    first = data["pairs"][0]  # type: ignore[index]
    assert (first["a"], first["b"]) == ("KZ", "RU")
    assert (first["a_name"], first["b_name"], first["items"]) == ("Kazakhstan", "Russia", 3)
    assert (first["previous"], first["change"]) == (1, 2.0)
    assert len(first["stories"]) == 3
    assert {s["title"] for s in first["stories"]} >= {HOSTILE, "哈萨克斯坦与俄罗斯开展禁毒合作"}
    assert pairs["CN", "LA"]["items"] == 2
    assert pairs["CN", "LA"]["change"] == -0.5
    assert pairs["CN", "US"]["previous"] == 0
    assert pairs["CN", "US"]["change"] is None
    assert pairs["CARICC", "KZ"]["items"] == 1
    assert {"key": "KZ", "name": "Kazakhstan", "items": 3} in data["actors"]  # type: ignore[operator]


def test_where_limits_the_report_to_items_in_which_a_place_acted(config: Path) -> None:
    """--where Central Asia (in Russian, too): only the Kazakhstan items and their pairs."""
    for where in ("Central Asia", "Центральная Азия"):
        data = report_json(config, "--where", where)
        assert data["places"] == ["Central Asia"]
        assert data["total"] == 3
        assert data["previous_total"] == 1
        assert {(p["a"], p["b"]) for p in data["pairs"]} == {  # type: ignore[attr-defined]
            ("KZ", "RU"),
            ("CARICC", "KZ"),
            ("CARICC", "RU"),
        }


def test_unknown_place_exits_2_naming_the_closest(config: Path) -> None:
    """A --where that names no place is a usage error with the nearest names."""
    result = run_cli("report", "--config", str(config), "--where", "Golden Triangel")
    assert result.returncode == 2
    assert "--where" in result.stderr
    assert "Golden Triangel" in result.stderr
    assert "Golden Triangle" in result.stderr


def test_export_takes_where_too(config: Path) -> None:
    """`export --where` keeps the matches in which one of the places acted."""
    result = run_cli(
        "export", "--config", str(config), "--format", "jsonl", "--where", "Laos, 美国"
    )
    assert result.returncode == 0, result.stderr
    titles = sorted(json.loads(line)["title"] for line in result.stdout.splitlines())
    assert len(titles) == 7  # two and four with Laos, one with the US
    assert "China and US talk fentanyl" in titles
    assert not any("Kazakh" in title for title in titles)


def test_html_report_draws_the_network_and_the_pairs_table(config: Path, tmp_path: Path) -> None:
    """The page has the network (wide and phone-sized) and the pairs, strict and escaped."""
    page = tmp_path / "report.html"
    result = run_cli("report", "--config", str(config), "--since", "7d", "--output", str(page))
    assert result.returncode == 0, result.stderr
    assert "5 pairs" in result.stderr  # KZ-RU, CARICC-KZ, CARICC-RU, CN-LA, CN-US
    html = page.read_text(encoding="utf-8")
    checked = check_page(html)
    assert checked.problems == []
    assert "Who worked with whom" in html
    assert html.count('<svg role="img" viewBox="0 0 800 470"') == 1
    assert html.count('<svg role="img" viewBox="0 0 420 470"') == 1
    assert "<b>Kazakhstan – Russia</b>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    text = " ".join(checked.text)
    assert "+200%" in text
    assert "-50%" in text
    assert "new" in text
