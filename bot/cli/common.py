"""What every command shares: the --config option and mapping errors to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import ConfigError, InputError

DEFAULT_CONFIG = Path("config/narcowatch.yaml")
EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def config_path(option: str | None) -> Path:
    """--config, else $NARCOWATCH_CONFIG, else config/narcowatch.yaml."""
    return Path(option or os.environ.get("NARCOWATCH_CONFIG") or DEFAULT_CONFIG)


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $NARCOWATCH_CONFIG, else config/narcowatch.yaml).",
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
