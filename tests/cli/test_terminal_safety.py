"""Feed text on the terminal: shown as text, never as rich markup or escape sequences."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bot.cli.daemon_cmds import poll_progress
from bot.console import format_console_line, format_repeat_line
from bot.storage import SourceSpec, open_store
from tests.support.cli import cli_env, run_cli, write_config

HOSTILE_NAMES = ("Daily News [/]", "[bold red]Loud[/bold red] [link=http://x]x", "\x1b[2JWiped")


def test_sources_list_shows_hostile_names_as_text(tmp_path: Path) -> None:
    """Names with rich markup and escape sequences are listed verbatim, minus the escapes."""
    config = write_config(tmp_path, [])
    store = open_store(f"sqlite:///{tmp_path / 'narcowatch.db'}")
    try:
        now = datetime.now(UTC)
        for n, name in enumerate(HOSTILE_NAMES):
            store.add_source(SourceSpec(name=name, url=f"https://x.example/{n}"), now=now)
    finally:
        store.close()
    # A wide table, so that rich does not wrap the names.
    result = run_cli("sources", "list", "--config", str(config), env=cli_env(COLUMNS="400"))
    assert result.returncode == 0, result.stderr
    assert "Daily News [/]" in result.stdout
    assert "[bold red]Loud[/bold red]" in result.stdout
    assert "\x1b" not in result.stdout
    assert "[2JWiped" in result.stdout


def test_progress_bar_shows_a_markup_like_name_as_text() -> None:
    """The `poll --once` bar renders `Daily News [/]` instead of raising a MarkupError."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with poll_progress(console) as bar:
        task = bar.add_task("", total=2)
        bar.update(task, advance=1, description="Daily News [/]")
        bar.refresh()
    assert "Daily News [/]" in out.getvalue()


def test_console_alert_lines_carry_no_escape_sequences() -> None:
    """Titles, source names and links reach the console without control characters."""
    line = format_console_line(
        "\x1b]0;pwned\x07Wire", "Title\x1b[31m red\nsecond line", "http://x/\x1b[0m", "t", 0.9, []
    )
    repeat = format_repeat_line("Wire\x9b2J", "Title\x1b[1m", "t", 12)
    for text in (line, repeat):
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)
    assert "Title[31m red second line" in line
