"""Matcher quality per language on labelled news, through the real CLI and the real daemon.

Run: .venv/bin/python benchmarks/eval_matcher.py [--skip-terse] [--skip-cv] [--misses SPLIT]

Splits (from ../shared/eval, third-party data, never copied into the repo):
  dev, train-visible, train2-visible   may be read: rules were written from them
  untouched: train (sha256(id) % 3 == 0, set aside last round), train2 (the same rule, set
  aside before the file was opened), and all of train3 (a batch of new outlets, regions and
  forms, never opened): only aggregate figures are printed for them, never their text.

Reported, each per language with a keyword-AND peer as the baseline:
  1. untouched, through `narcowatch score`, with the recipe that ships: the topic as it is and
     a text model trained by `narcowatch train --write` on the visible splits only (the model
     that ships is trained the same way on every file, so it cannot be judged on them);
  2. cross-validated on every file, as `narcowatch train` prints it (each item judged by a
     model that never saw it, and each file by a model trained on the other files);
  3. terse: the untouched items served as feeds of a headline and one sentence, with the
     article page behind each link, through `narcowatch run` on its default article settings;
     with the pages read per 100 items;
  4. the visible splits with the shipped topic and model (in-sample: for reference only).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.matching.scoreio import json_lines  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
CONFIG = ROOT / "config" / "narcowatch.yaml"
TOPICS = ROOT / "config" / "topics"
LANGS = ("en", "zh", "ru")
VISIBLE = ("dev", "train-visible", "train2-visible")
UNTOUCHED = ("untouched-train", "untouched-train2", "fresh-train3")
FIELDS = ("id", "title", "summary", "lang", "url")

# The peer: an item is relevant when it has a drug word and a cooperation word.
_PEER_DRUG = {
    "en": ("drug", "narcotic", "cocaine", "heroin", "methamphetamine", "cannabis", "fentanyl"),
    "zh": ("毒品", "禁毒", "缉毒", "贩毒", "冰毒", "海洛因"),
    "ru": ("наркот", "героин", "кокаин"),
}
_PEER_COOP = {
    "en": ("cooperat", "co-operat", "joint", "partner", "agreement", "collaborat", "extradit"),
    "zh": ("合作", "联合", "协作", "协议"),
    "ru": ("сотрудничеств", "совместн", "взаимодейств", "соглашени"),
}

Row = dict[str, object]


def untouched(item_id: str) -> bool:
    """Whether a train or train2 item belongs to the part nobody reads."""
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 3 == 0


def load_splits() -> dict[str, list[Row]]:
    """Every split as lists of raw rows."""

    def rows(name: str) -> list[Row]:
        lines = json_lines((EVAL / name).read_text(encoding="utf-8"))
        return [json.loads(line) for line in lines if line.strip()]

    train, train2 = rows("train.jsonl"), rows("train2.jsonl")
    return {
        "dev": rows("dev.jsonl"),
        "train-visible": [r for r in train if not untouched(str(r["id"]))],
        "train2-visible": [r for r in train2 if not untouched(str(r["id"]))],
        "untouched-train": [r for r in train if untouched(str(r["id"]))],
        "untouched-train2": [r for r in train2 if untouched(str(r["id"]))],
        "fresh-train3": rows("train3.jsonl"),
    }


@dataclass
class Tally:
    """Confusion counts of one slice."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: int, matched: bool) -> None:
        if matched:
            self.tp += label == 1
            self.fp += label == 0
        else:
            self.fn += label == 1
            self.tn += label == 0

    def figures(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def write_rows(rows: Iterable[Row], path: Path, *, labels: bool) -> Path:
    """The rows as a user would give them (labels only for training)."""
    keep = (*FIELDS, "label") if labels else FIELDS
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({k: row[k] for k in keep if k in row}, ensure_ascii=False) + "\n")
    return path


def cli(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return done.stdout


def run_score(rows: list[Row], config: Path) -> dict[str, dict[str, object]]:
    """`narcowatch score` on the rows, by id."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_rows(rows, Path(tmp) / "items.jsonl", labels=False)
        out = cli("score", "--config", str(config), str(path))
    return {str(s["id"]): s for s in map(json.loads, json_lines(out))}


def recipe_config(workdir: Path, visible: list[Row]) -> Path:
    """A copy of the bundled config whose topic's model is trained on the visible rows only."""
    shutil.copytree(ROOT / "config", workdir / "config")
    for stale in (workdir / "config" / "topics").glob("*.model.*"):
        stale.unlink()
    train_file = write_rows(visible, workdir / "visible.jsonl", labels=True)
    config = workdir / "config" / "narcowatch.yaml"
    cli("train", "--config", str(config), str(train_file), "--write", cwd=workdir)
    return config


def peer(row: Row) -> bool:
    """The keyword co-occurrence rule."""
    text = f"{row.get('title', '')} {row.get('summary', '')}".lower()
    lang = str(row.get("lang", "en"))
    return any(w in text for w in _PEER_DRUG.get(lang, ())) and any(
        w in text for w in _PEER_COOP.get(lang, ())
    )


def tally(rows: Iterable[Row], verdicts: dict[str, bool]) -> dict[str, Tally]:
    """Counts per language and overall."""
    out = {lang: Tally() for lang in (*LANGS, "all")}
    for row in rows:
        label, matched = int(str(row["label"])), verdicts[str(row["id"])]
        out[str(row["lang"])].add(label, matched)
        out["all"].add(label, matched)
    return out


def print_table(name: str, ours: dict[str, Tally], theirs: dict[str, Tally] | None) -> None:
    print(name)
    print(f"  {'lang':<5}{'n':>4}  {'P':>5} {'R':>5} {'F1':>5}   peer F1   tp fp fn tn")
    for lang, t in ours.items():
        p, r, f = t.figures()
        n = t.tp + t.fp + t.fn + t.tn
        pf = f"{theirs[lang].figures()[2]:7.2f}" if theirs else "      -"
        print(
            f"  {lang:<5}{n:>4}  {p:5.2f} {r:5.2f} {f:5.2f}   {pf}"
            f"  {t.tp:3d} {t.fp:2d} {t.fn:2d} {t.tn:2d}"
        )


def print_misses(rows: list[Row], scores: dict[str, dict[str, object]]) -> None:
    """False positives and negatives of a visible split, with the matcher's reasons."""
    for row in rows:
        score = scores[str(row["id"])]
        if bool(score["matched"]) == bool(row["label"]):
            continue
        kind = "FP" if score["matched"] else "FN"
        print(f"{kind} {row['id']} [{row['lang']}] {float(str(score['score'])):.2f} {row['title']}")
        print(f"     {row.get('summary', '')}")
        for reason in score["reasons"]:  # type: ignore[attr-defined]
            print(f"     - {reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=VISIBLE, help="list the errors of a visible split")
    parser.add_argument("--skip-terse", action="store_true", help="no daemon run")
    parser.add_argument("--skip-cv", action="store_true", help="no cross-validation")
    args = parser.parse_args()
    if not EVAL.is_dir():
        print(f"no labelled data at {EVAL}", file=sys.stderr)
        return 2
    splits = load_splits()
    visible = [row for name in VISIBLE for row in splits[name]]

    with tempfile.TemporaryDirectory(prefix="nw-eval-") as tmp:
        workdir = Path(tmp)
        print("1. untouched, through `narcowatch score`: the topic, and a model trained on the")
        print(f"   visible splits only ({len(visible)} items)\n")
        config = recipe_config(workdir, visible)
        pooled: list[Row] = []
        verdicts: dict[str, bool] = {}
        for name in UNTOUCHED:
            rows = splits[name]
            scores = run_score(rows, config)
            mine = {i: bool(s["matched"]) for i, s in scores.items()}
            verdicts.update(mine)
            pooled += rows
            peers = {str(r["id"]): peer(r) for r in rows}
            print_table(f"{name} ({len(rows)} items)", tally(rows, mine), tally(rows, peers))
        peers = {str(r["id"]): peer(r) for r in pooled}
        print_table(
            f"all untouched ({len(pooled)} items)", tally(pooled, verdicts), tally(pooled, peers)
        )

        if not args.skip_terse:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from terse_feeds import run_terse

            print("\n3. terse feeds through `narcowatch run` (untouched items, headline + first")
            print("   sentence, the article page behind each link, default article settings)\n")
            run = asyncio.run(run_terse(pooled, config.parent))
            terse = {str(r["id"]): str(r["id"]) in run.matched for r in pooled}
            for name in UNTOUCHED:
                print_table(f"terse, {name}", tally(splits[name], terse), None)
            print_table(
                f"terse, all untouched ({run.stored} of {len(pooled)} stored)",
                tally(pooled, terse),
                None,
            )
            print(
                f"  article pages read: {run.pages_read} "
                f"({100 * run.pages_read / len(pooled):.0f} per 100 items), run {run.seconds:.0f} s"
            )

    if not args.skip_cv:
        print("\n2. cross-validated on every file (narcowatch train, 5 folds)\n")
        with tempfile.TemporaryDirectory(prefix="nw-cv-") as tmp:
            workdir = Path(tmp)
            shutil.copytree(ROOT / "config", workdir / "config")
            # One file per labelled file, as they came: train then also holds each out.
            by_origin = {
                "dev": splits["dev"],
                "train": splits["train-visible"] + splits["untouched-train"],
                "train2": splits["train2-visible"] + splits["untouched-train2"],
                "train3": splits["fresh-train3"],
            }
            files = [
                write_rows(rows, workdir / f"{name}.jsonl", labels=True).name  # cwd=workdir
                for name, rows in by_origin.items()
            ]
            print(
                cli(
                    "train",
                    "--config",
                    str(workdir / "config" / "narcowatch.yaml"),
                    *files,
                    cwd=workdir,
                )
            )

    print("4. visible splits with the shipped topic and model (in-sample, for reference)\n")
    for name in VISIBLE:
        rows = splits[name]
        scores = run_score(rows, CONFIG)
        mine = {i: bool(s["matched"]) for i, s in scores.items()}
        peers = {str(r["id"]): peer(r) for r in rows}
        print_table(f"{name} ({len(rows)} items)", tally(rows, mine), tally(rows, peers))
        if args.misses == name:
            print_misses(rows, scores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
