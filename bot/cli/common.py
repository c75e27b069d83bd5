"""What every command shares: the --config option, the config in force, and exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import ConfigError, InputError
from bot.settings.locate import (
    WORKING_FOLDER_CONFIG,
    ConfigLocation,
    bundled_config_dir,
    locate_config,
)

EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def config_location(option: str | None) -> ConfigLocation:
    """--config, else $NARCOWATCH_CONFIG, else config/narcowatch.yaml here, else the bundled one."""
    return locate_config(option, os.environ, cwd=Path.cwd(), bundled=bundled_config_dir())


def config_path(option: str | None, *, quiet: bool = False) -> Path:
    """The config file in force; on stderr, a note when it is the bundled one."""
    location = config_location(option)
    if location.bundled and not quiet:
        click.echo(bundled_note(location), err=True)
    return location.path


def bundled_note(location: ConfigLocation) -> str:
    return (
        f"narcowatch: no {WORKING_FOLDER_CONFIG} in this folder: using the bundled config "
        f"({location.path}); `narcowatch init` writes a copy to edit"
    )


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help=(
        "Config file (default: $NARCOWATCH_CONFIG, else config/narcowatch.yaml in the working "
        "folder, else the bundled one)."
    ),
)


def exits_on_bad_input(func: F) -> F:
    """Print ConfigError/InputError as file:line lines on stderr and exit 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, InputError) as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


where_option = click.option(
    "--where",
    "where",
    default=None,
    metavar="PLACES",
    help="Only items in which one of these countries or regions acted, e.g. 'Central Asia, "
    "China' (names in English, Chinese or Russian; regions as /where takes them).",
)


def parse_where(text: str | None) -> list[str]:
    """The place keys `--where` names (none: everywhere); an unknown name is a usage error
    naming the closest places."""
    if text is None:
        return []
    from bot.places.names import parse_places

    places, unknown = parse_places(text)
    if unknown:
        problems = []
        for name in unknown:
            near = f" (closest: {', '.join(name.suggestions)})" if name.suggestions else ""
            problems.append(f"unknown place {name.text!r}{near}")
        raise click.BadParameter("; ".join(problems), param_hint="'--where'")
    if not places:
        raise click.BadParameter("names no place", param_hint="'--where'")
    return [place.key for place in places]
