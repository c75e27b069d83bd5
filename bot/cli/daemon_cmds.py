"""Daemon commands: run, poll --once, check-config, health."""

from __future__ import annotations

import click

from bot.cli.common import not_built

run = click.command("run", help="Run the daemon.")(not_built("run"))
poll = click.command("poll", help="Poll every enabled source once.")(not_built("poll"))
check_config = click.command("check-config", help="Validate config and topic files.")(
    not_built("check-config")
)
health = click.command("health", help="Exit 0 when the running daemon is healthy.")(
    not_built("health")
)
