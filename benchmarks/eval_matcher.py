"""Matcher quality per language on labelled news, through the real `narcowatch score` CLI.

Run: .venv/bin/python benchmarks/eval_matcher.py [--misses dev|train-visible] [--topic ID]

Splits (from ../shared/eval, third-party data, never copied into the repo):
  dev            dev.jsonl
  train-visible  train.jsonl items whose sha256(id) % 3 != 0 (rules may be written from them)
  untouched      train.jsonl items whose sha256(id) % 3 == 0: set aside before any rule was
                 written; only aggregate figures are ever printed for them, never their text.
For each split it prints precision/recall/F1 per language for the topic, and for the
"drug word AND cooperation word" peer baseline (a keyword co-occurrence rule).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
CONFIG = ROOT / "config" / "narcowatch.yaml"
LANGS = ("en", "zh", "ru")
VISIBLE = ("dev", "train-visible")

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


def untouched(item_id: str) -> bool:
    """Whether a train item belongs to the part nobody reads."""
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 3 == 0


def load_splits() -> dict[str, list[dict[str, object]]]:
    """The three splits as lists of raw rows."""

    def rows(name: str) -> list[dict[str, object]]:
        lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    train = rows("train.jsonl")
    return {
        "dev": rows("dev.jsonl"),
        "train-visible": [r for r in train if not untouched(str(r["id"]))],
        "untouched": [r for r in train if untouched(str(r["id"]))],
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


def run_score(rows: list[dict[str, object]], topic: str | None) -> dict[str, dict[str, object]]:
    """`narcowatch score` on the rows (only the fields a user would give it), by id."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                given = {k: row[k] for k in ("id", "title", "summary", "lang", "url") if k in row}
                out.write(json.dumps(given, ensure_ascii=False) + "\n")
        command = [sys.executable, "-m", "bot", "score", "--config", str(CONFIG), str(path)]
        if topic:
            command += ["--topic", topic]
        done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return {str(s["id"]): s for s in map(json.loads, done.stdout.splitlines())}


def peer(row: dict[str, object]) -> bool:
    """The keyword co-occurrence rule."""
    text = f"{row.get('title', '')} {row.get('summary', '')}".lower()
    lang = str(row.get("lang", "en"))
    return any(w in text for w in _PEER_DRUG.get(lang, ())) and any(
        w in text for w in _PEER_COOP.get(lang, ())
    )


def tally(rows: Iterable[dict[str, object]], verdicts: dict[str, bool]) -> dict[str, Tally]:
    """Counts per language and overall."""
    out = {lang: Tally() for lang in (*LANGS, "all")}
    for row in rows:
        label, matched = int(str(row["label"])), verdicts[str(row["id"])]
        out[str(row["lang"])].add(label, matched)
        out["all"].add(label, matched)
    return out


def print_table(name: str, ours: dict[str, Tally], theirs: dict[str, Tally]) -> None:
    print(f"{name}")
    print(f"  {'lang':<5}{'n':>4}  {'P':>5} {'R':>5} {'F1':>5}   peer F1   tp fp fn tn")
    for lang, t in ours.items():
        p, r, f = t.figures()
        n = t.tp + t.fp + t.fn + t.tn
        pf = theirs[lang].figures()[2]
        print(
            f"  {lang:<5}{n:>4}  {p:5.2f} {r:5.2f} {f:5.2f}   {pf:7.2f}"
            f"  {t.tp:3d} {t.fp:2d} {t.fn:2d} {t.tn:2d}"
        )


def print_misses(rows: list[dict[str, object]], scores: dict[str, dict[str, object]]) -> None:
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
    parser.add_argument("--topic", default="drug-control-cooperation")
    parser.add_argument("--misses", choices=VISIBLE, help="list the errors of a visible split")
    parser.add_argument("--skip-untouched", action="store_true", help="visible splits only")
    args = parser.parse_args()
    if not EVAL.is_dir():
        print(f"no labelled data at {EVAL}", file=sys.stderr)
        return 2
    splits = load_splits()
    if args.skip_untouched:
        del splits["untouched"]
    for name, rows in splits.items():
        scores = run_score(rows, args.topic)
        verdicts = {i: bool(s["matched"]) for i, s in scores.items()}
        peers = {str(r["id"]): peer(r) for r in rows}
        print_table(f"{name} ({len(rows)} items)", tally(rows, verdicts), tally(rows, peers))
        if args.misses == name:
            print_misses(rows, scores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
