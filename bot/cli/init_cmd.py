"""`narcowatch init [DIR]`: editable copies of the bundled config and topic files."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from bot.cli.common import exits_on_bad_input
from bot.errors import InputError
from bot.settings.locate import WORKING_FOLDER_CONFIG, bundled_config_dir, bundled_files


def copy_plan(bundled: Path, target: Path) -> list[tuple[Path, Path]]:
    """(bundled file, where its copy goes) for every bundled file; copies go under
    `target`/config/, where `narcowatch` finds them when run from `target`."""
    config_dir = target / WORKING_FOLDER_CONFIG.parent
    return [(bundled / name, config_dir / name) for name in bundled_files(bundled)]


def write_copies(plan: list[tuple[Path, Path]], *, force: bool) -> None:
    """Copy every file byte for byte (comments kept). Without `force`, nothing is written
    when any copy would replace an existing file."""
    folders = [dest for _, dest in plan if dest.is_dir()]
    if folders:
        raise InputError(f"narcowatch init: {folders[0]} is a folder, not a file")
    taken = [dest for _, dest in plan if dest.exists() or dest.is_symlink()]
    if taken and not force:
        raise InputError(
            "narcowatch init: not overwriting "
            + ", ".join(str(p) for p in taken)
            + " (--force replaces them)"
        )
    for source, dest in plan:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)


def next_steps(target: Path, plan: list[tuple[Path, Path]]) -> str:
    """What to edit first, and how to start."""
    config = target / WORKING_FOLDER_CONFIG
    topics = [dest for _, dest in plan if dest.suffix == ".yaml" and dest != config]
    go = "" if target.resolve() == Path.cwd().resolve() else f"cd {target} && "
    lines = [
        "Edit first:",
        f"  1. {config}, `sources:`: the feeds and pages to watch",
        "     (try one first: narcowatch sources test URL)",
        "  2. for Telegram: set TELEGRAM_BOT_TOKEN (a bot from @BotFather) and put your user id",
        f"     under `telegram.admins` in {config}; without a token, alerts go to the console",
        *(f"  3. {topic}: what an alert is about (terms, threshold)" for topic in topics[:1]),
        f"Then: {go}narcowatch check-config && narcowatch run",
    ]
    return "\n".join(lines)


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@exits_on_bad_input
def init(directory: str, force: bool) -> None:
    """Write editable copies of the bundled config and topic files into DIRECTORY
    (default: the current folder), under config/."""
    target = Path(directory)
    plan = copy_plan(bundled_config_dir(), target)
    write_copies(plan, force=force)
    for _, dest in plan:
        click.echo(f"wrote {dest}")
    click.echo(next_steps(target, plan))


__all__ = ["init"]
