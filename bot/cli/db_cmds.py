"""Database commands: `narcowatch db upgrade` (placeholder until storage lands)."""

from __future__ import annotations

import click

from bot.cli.common import not_built


@click.group("db")
def db() -> None:
    """Database maintenance."""


db.add_command(click.command("upgrade", help="Apply migrations.")(not_built("db upgrade")))
