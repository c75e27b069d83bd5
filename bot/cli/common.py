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
