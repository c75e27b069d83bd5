"""Matcher commands: score, eval, seed-terms, backtest (placeholders until the matcher lands)."""

from __future__ import annotations

import click

from bot.cli.common import not_built

score = click.command("score", help="Score items against topics (JSON Lines or plain text).")(
    not_built("score")
)
eval_items = click.command("eval", help="Precision, recall and F1 for labelled items.")(
    not_built("eval")
)
seed_terms = click.command("seed-terms", help="Propose watch terms from documents.")(
    not_built("seed-terms")
)
backtest = click.command("backtest", help="Re-score stored items with the current topics.")(
    not_built("backtest")
)
