"""`narcowatch train`: fit a topic's text model to labelled items and feedback; write it."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot import __version__
from bot.cli.common import config_option, config_path, exits_on_bad_input
from bot.cli.file_writes import NotPutBack, not_written, replace_files
from bot.cli.matching_cmds import parse_labelled, read_bytes
from bot.cli.tune_cmd import MIN_ITEMS, feedback_rows, topic_file
from bot.errors import ConfigError, InputError

if TYPE_CHECKING:
    from bot.matching.crossval import Metrics
    from bot.matching.evaluate import Confusion
    from bot.matching.model_fit import TrainResult
    from bot.matching.spec import TopicSpec
    from bot.matching.training import Fitted


def _cells(c: Confusion) -> str:
    if not c.tp + c.fp + c.fn + c.tn:
        return f"{'-':>6} {'-':>6} {'-':>6}"  # no such item in this column
    return f"{c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f}"


def _held_out_lines(result: TrainResult) -> list[str]:
    """The footnote of the held-out column, and each file's own figures."""
    if result.by_file is None:
        return []
    lines = [
        "** each file's items judged by a model trained on the other files only, as news from "
        "new outlets would be:"
    ]
    for name, m in result.by_file.each.items():
        c = m.overall
        langs = ", ".join(f"{lang} {lc.f1:.3f}" for lang, lc in m.by_lang.items())
        lines.append(f"   {name}: P {c.precision:.3f} R {c.recall:.3f} F1 {c.f1:.3f} ({langs})")
    return lines


def format_result(result: TrainResult, *, sources: str) -> str:
    """Figures per language: the topic as it stands, the rules alone, and with the new model
    (cross-validated), and each file held out when there are several; then the numbers that
    go with the model."""
    from bot.matching.evaluate import Confusion

    columns = [("as it stands*", result.before), ("rules alone", result.rules)]
    columns.append((f"with the {'updated' if result.updated else 'new'} model (cv)", result.after))
    if result.by_file is not None:
        columns.append(("each file held out**", result.by_file.combined))
    head = "".join(f"   {name:>20}" for name, _ in columns)
    sub = "".join(f"   {'P':>6} {'R':>6} {'F1':>6}" for _ in columns)

    def row(name: str, pick: Any) -> str:
        return f"{name:<8}" + "".join(f"   {_cells(pick(m))}" for _, m in columns)

    def by_lang(lang: str) -> Any:
        # A language the held-out files lack (all its items in one file that could not be
        # held out) has no figures there.
        return lambda m: m.by_lang.get(lang, Confusion())

    metrics: Metrics = result.before
    lines = [
        f"topic: {result.topic}; {result.items} labelled items ({sources}); "
        f"{result.folds}-fold cross-validation, each item judged by a model that never saw it",
        f"{'':<8}{head}",
        f"{'':<8}{sub}",
        *(row(lang, by_lang(lang)) for lang in metrics.by_lang),
        row("overall", lambda m: m.overall),
        "* with its current model, which may have been trained on these very items",
        *_held_out_lines(result),
        "",
        f"blend {'kept from the topic' if result.updated else 'fitted on all items'}: "
        f"score = {1 - result.weight:.2f} x rules + {result.weight:.2f} x model; "
        f"threshold {result.threshold:.2f}",
        f"model: {int((result.fitted.weights != 0).sum())} non-zero weights over "
        f"2^{result.fitted.bits} hashed features",
    ]
    return "\n".join(lines)


def provenance(
    result: TrainResult,
    *,
    files: list[tuple[str, bytes, int]],
    feedback: tuple[int, float],
    model: bytes,
    trained_at: datetime,
    updated_from: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Where the model came from: the command, the files (size, checksum, items), the
    subscriber verdicts (how many, what each weighed), the model it updated (that model's own
    record) and the cross-validated figures. Never the items' text."""

    def figures(m: Metrics) -> dict[str, Any]:
        def one(c: Confusion) -> dict[str, Any]:
            return {
                "precision": round(c.precision, 3),
                "recall": round(c.recall, 3),
                "f1": round(c.f1, 3),
                "items": c.tp + c.fp + c.fn + c.tn,
            }

        return {"overall": one(m.overall), **{lang: one(c) for lang, c in m.by_lang.items()}}

    return {
        "topic": result.topic,
        # When its inputs were read, to the microsecond: verdicts given later are the ones
        # it has not learnt (what `eval --feedback` counts and the next update reads).
        "trained_at": trained_at.isoformat(),
        "program": f"narcowatch {__version__}",
        "command": " ".join(["narcowatch", "train", *sys.argv[2:]]),
        "files": [
            {
                "path": name,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "items": items,
            }
            for name, data, items in files
        ],
        "feedback_verdicts": feedback[0],
        "feedback_weight": feedback[1],
        **({"updated_from": updated_from} if updated_from is not None else {}),
        "items": result.items,
        "model": {
            "sha256": hashlib.sha256(model).hexdigest(),
            "bits": result.fitted.bits,
            "non_zero_weights": int((result.fitted.weights != 0).sum()),
        },
        "blend": {"weight": result.weight, "threshold": result.threshold},
        "cross_validated": {
            "folds": result.folds,
            "as_it_stood": figures(result.before),
            "rules_alone": figures(result.rules),
            "with_model": figures(result.after),
            **(
                {
                    "each_file_held_out": {
                        "all": figures(result.by_file.combined),
                        **{name: figures(m) for name, m in result.by_file.each.items()},
                    }
                }
                if result.by_file is not None
                else {}
            ),
        },
    }


@dataclass(frozen=True, slots=True)
class CurrentModel:
    """The topic's current text model, which `train --feedback` without files updates: the
    labelled files it was trained on are not at hand where it runs (the shipped model's are
    not shipped), and a model trained on a few dozen verdicts alone would forget them."""

    fitted: Fitted
    trained_at: datetime | None
    """From its record; the verdicts given since are the ones it has not learnt."""
    record: dict[str, Any]
    """Its record (`TOPIC.model.json`), kept in the updated model's own."""

    def describe(self) -> str:
        from bot.matching.model_info import said_when

        when = said_when(self.trained_at)
        items = self.record.get("items")
        learnt = f" from {items} items" if isinstance(items, int) else ""
        since = "since then" if self.trained_at else "so far (its record gives no date)"
        return (
            f"updating the topic's current model (trained {when}{learnt}) with the verdicts "
            f"given {since}; its blend weight and threshold are kept (train with FILE... to "
            "start afresh)"
        )


def current_model(topic_path: Path, spec: TopicSpec) -> CurrentModel | None:
    """The topic's loaded text model with its record, or None when it has none."""
    from bot.matching.loader import model_record, trained_at
    from bot.matching.training import Fitted

    if spec.model is None or spec.model.loaded is None:
        return None
    loaded = spec.model.loaded
    return CurrentModel(
        fitted=Fitted(bits=loaded.bits, bias=loaded.bias, weights=loaded.weights),
        trained_at=trained_at(topic_path, spec.model),
        record={"model_sha256": loaded.digest, **model_record(topic_path, spec.model)},
    )


@click.command("train")
@click.argument("sources", nargs=-1, metavar="FILE...")
@click.option("--feedback", is_flag=True, help="Also learn from subscribers' stored verdicts.")
@click.option("--topic", "topic_id", default=None, help="Topic to train (default: the first).")
@click.option(
    "--write", is_flag=True, help="Write the model beside the topic file and name it there."
)
@config_option
@exits_on_bad_input
def train(
    sources: tuple[str, ...],
    feedback: bool,
    topic_id: str | None,
    write: bool,
    config_file: str | None,
) -> None:
    """Fit a topic's text model to labelled items by cross-validation (see docs/topics.md)."""
    from bot.matching import load_topic
    from bot.matching.loader import with_model
    from bot.matching.model_fit import feedback_weight
    from bot.matching.model_fit import train as fit
    from bot.matching.textmodel import encode
    from bot.matching.topic_edit import rewrite_numbers, set_model
    from bot.settings import load_settings

    if not sources and not feedback:
        raise InputError("train needs FILE... of labelled items, or --feedback")
    settings = load_settings(config_path(config_file), env=os.environ)
    topic = topic_file(settings, topic_id, model=False)
    path, spec, doc, original = topic.path, topic.spec, topic.doc, topic.text
    try:
        spec = with_model(spec, doc)
    except ConfigError as exc:
        # A missing, stale or damaged model is what training replaces: say so, go on.
        click.echo(f"{exc}\nthe topic's current model is left out; training a new one", err=True)
        if spec.model is not None:
            spec = spec.model_copy(update={"model": spec.model.model_copy(update={"loaded": None})})
    files: list[tuple[str, bytes, int]] = []
    rows = []
    row_files: list[str | None] = []
    for source in sources:
        # Read once: the size and checksum recorded are those of the items trained on (and
        # stdin or a pipe cannot be read twice).
        data, name = read_bytes(source)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: cannot read: {exc}") from exc
        labelled = parse_labelled(text, name)
        files.append((source, data, len(labelled)))
        rows += labelled
        row_files += [source] * len(labelled)
    started = datetime.now(UTC)
    update = current_model(path, spec) if feedback and not sources else None
    if update is not None:
        click.echo(update.describe(), err=True)
    since = update.trained_at if update is not None else None
    judged = feedback_rows(settings, spec.id, since=since) if feedback else []
    weight = feedback_weight(len(rows), len(judged))
    rows += [replace(row, weight=weight) for row in judged]
    row_files += [None] * len(judged)
    positives = sum(row.label for row in rows)
    if len(rows) < MIN_ITEMS or positives < 2 or len(rows) - positives < 2:
        if update is not None:
            raise InputError(
                f"an update needs at least {MIN_ITEMS} verdicts with two or more of each label "
                f"given since the model was trained (got {len(rows)}: {positives} relevant, "
                f"{len(rows) - positives} not); `narcowatch eval --feedback` counts them"
            )
        raise InputError(
            f"train needs at least {MIN_ITEMS} labelled items with two or more of each label "
            f"(got {len(rows)}: {positives} relevant, {len(rows) - positives} not)"
        )
    described = f"{len(rows) - len(judged)} from files, {len(judged)} from feedback"
    if judged:
        described += f", each verdict weighing {weight:g}"
    prior = update.fitted if update is not None else None
    result = fit(
        spec, rows, prior=prior, files=row_files, progress=lambda m: click.echo(m, err=True)
    )
    click.echo(format_result(result, sources=described))
    model_name = spec.model.file if spec.model else f"{path.stem}.model.npz"
    model_path = path.parent / model_name
    if not write:
        click.echo(f"not written; --write writes {model_path} and names it in {path}")
        return
    model = encode(result.fitted.bits, result.fitted.bias, result.fitted.weights)
    digest = hashlib.sha256(model).hexdigest()
    if path.read_text(encoding="utf-8") != original:
        raise InputError(f"{path} changed while the model was trained: run train again")
    changed = rewrite_numbers(
        original, doc.lines, {("threshold",): result.threshold}, path=str(path)
    )
    changed = set_model(
        changed, doc.lines, file=model_name, weight=result.weight, sha256=digest, path=str(path)
    )
    facts = provenance(
        result,
        files=files,
        feedback=(len(judged), weight),
        model=model,
        trained_at=started,
        updated_from=update.record if update is not None else None,
    )
    record = model_path.with_suffix(".json")
    try:
        replace_files(
            {
                model_path: model,
                record: (json.dumps(facts, indent=2, ensure_ascii=False) + "\n").encode(),
                path: changed.encode("utf-8"),
            },
            check=lambda: load_topic(path, env=os.environ),
        )
    except NotPutBack as exc:
        cause = exc.__cause__
        raise InputError(f"{path}: training was not written ({cause}), and {exc}") from exc
    except OSError as exc:
        raise InputError(
            f"{exc.filename or path}: not written; the model, its record and {path.name} are "
            f"as they were: {not_written(exc)}"
        ) from exc
    click.echo(f"wrote {model_path} ({len(model):,} bytes), {record}, and {path}")
