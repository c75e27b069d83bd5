"""The `narcowatch` command line: one click group, one module per group of commands."""

from __future__ import annotations

import click

from bot import __version__
from bot.cli.borderline_cmd import borderline
from bot.cli.daemon_cmds import check_config, health, poll, run
from bot.cli.data_cmds import COMMANDS as DATA_COMMANDS
from bot.cli.data_cmds import sources
from bot.cli.db_cmds import db
from bot.cli.init_cmd import init
from bot.cli.matching_cmds import backtest, eval_items, score, seed_terms
from bot.cli.report_cmds import report
from bot.cli.search_cmd import search
from bot.cli.source_cmds import SOURCE_COMMANDS
from bot.cli.train_cmd import train
from bot.cli.tune_cmd import tune


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narcowatch")
def main() -> None:
    """narcowatch: watch news sources and alert Telegram subscribers about topics they follow."""


for command in (
    run,
    poll,
    score,
    eval_items,
    seed_terms,
    tune,
    train,
    backtest,
    check_config,
    health,
    db,
    report,
    search,
    borderline,
    init,
):
    main.add_command(command)
for command in DATA_COMMANDS:
    main.add_command(command)
for command in SOURCE_COMMANDS:
    sources.add_command(command)
