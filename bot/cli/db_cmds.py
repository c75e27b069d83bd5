"""Database commands: `narcowatch db upgrade` applies the schema migrations."""

from __future__ import annotations

import os

import click

from bot.cli.common import config_option, config_path, exits_on_bad_input


def database_url_and_origin(config_file: str | None) -> tuple[str, str]:
    """$DATABASE_URL when set (no config file needed), else the config's `database_url`."""
    from bot.settings import load_settings

    from_env = os.environ.get("DATABASE_URL")
    if from_env:
        return from_env, "DATABASE_URL"
    settings = load_settings(config_path(config_file), env=os.environ)
    return settings.database_url, "database_url"


@click.group("db")
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_option
@exits_on_bad_input
def upgrade_command(config_file: str | None) -> None:
    """Apply pending schema migrations (the daemon also does this when it starts)."""
    from bot.storage import normalise_url, upgrade

    url, origin = database_url_and_origin(config_file)
    upgrade(url, origin=origin)
    shown = normalise_url(url, origin=origin).render_as_string(hide_password=True)
    click.echo(f"database {shown} is up to date")
