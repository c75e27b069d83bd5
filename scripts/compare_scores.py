"""Checks that `narcowatch score` gives byte-identical output here and at another commit.

Run: uv run --frozen python scripts/compare_scores.py --against REV [--generated N] [FILE...]

The commit is exported (`git archive`) to a temporary folder outside the repository and run
with this checkout's virtualenv, each side with its own default topic file. Inputs: the JSON
Lines FILEs (e.g. ../shared/eval/*.jsonl) and, with --generated N, N plain, N entity-dense and
N packed (news words only) benchmark items (benchmarks/bench_matcher.py and dense_items.py)
plus a few odd ones (markup, traditional Chinese, escapes, a long item, bad lines). Output
lines, error lines and exit status are compared; only counts, ids and digests are printed,
never an item's text: labelled eval data stays where it is. Exit 1 when anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOPIC = Path("config") / "topics" / "drug-control-cooperation.yaml"


def export(rev: str, into: Path) -> Path:
    """The tree of `rev` unpacked into a fresh folder under `into`."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True
    ).stdout
    out = into / "checkout"
    out.mkdir()
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(out, filter="data")
    return out


def score(root: Path, items: Path, tmp: Path) -> list[bytes]:
    """`narcowatch score --skip-bad` output lines of the checkout at `root` (its own topic
    file), then its error lines and its exit status."""
    config = tmp / f"config-{hashlib.sha1(str(root).encode()).hexdigest()[:8]}.yaml"
    config.write_text(f"topics:\n  - {root / TOPIC}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "score", "--skip-bad", "--config", str(config), str(items)],
        cwd=root,  # `-m bot` imports the package of the working folder first
        capture_output=True,
        check=False,
    )
    errors = [b"stderr: " + line for line in result.stderr.splitlines()]
    return [*result.stdout.splitlines(), *errors, b"exit: %d" % result.returncode]


def generated(count: int, tmp: Path) -> list[Path]:
    """The benchmark's plain and entity-dense items as JSON Lines files."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT))
    from bench_matcher import make_items
    from dense_items import make_dense_items

    paths = []
    kinds = (
        ("plain", make_items(count)),
        ("dense", make_dense_items(count)),
        ("packed", make_dense_items(count, filler=0, seed=12)),  # news words only
    )
    for name, items in kinds:
        path = tmp / f"generated-{name}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for n, item in enumerate(items):
                row = {"id": f"{name}-{n}", "title": item.title, "summary": item.summary}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        paths.append(path)
    path = tmp / "generated-edge.jsonl"
    dense = make_dense_items(50, seed=13)
    path.write_text("\n".join(edge_lines(dense)) + "\n", encoding="utf-8")
    paths.append(path)
    return paths


def edge_lines(dense: list[Any]) -> list[str]:
    """Odd items: markup, traditional Chinese, case-sensitive acronyms, cues at line ends,
    regex terms, escapes a parser must clean, a very long item, and bad lines."""
    rows: list[Any] = [
        {"title": "<b>Police</b> from China &amp; Laos", "summary": "<p>heroin</p><br>UNODC"},
        {"title": "緝毒合作", "content": "臺灣與泰國警方聯合行動，查獲海洛因，來自緬甸"},
        {"title": "这批毒品来自", "summary": "缅甸，泰籍男子走私至中国，缅甸警方和中国籍毒贩"},
        {"title": "CBP and HSI seize fentanyl", "summary": "cbp hsi; the INL funds Colombia"},
        {"title": "Straße İstanbul ǅ", "summary": "Drug trafficking from the Netherlands to Ç"},
        {"title": "Операция «Канал — Центр»", "summary": "ОДКБ и полиция Таджикистана, героин"},
        {"title": "Joint naval operation", "summary": "they share radar data and intelligence"},
        {"title": "international joint operations", "summary": "cocaine bound for Australia"},
        {"title": "x\u0000y\ud800 heroin", "summary": "\u001b[31m China, Laos"},
        {"title": "a", "summary": "b", "content": "b and more: heroin, China, Laos, Interpol"},
        {"id": 7, "title": "Two Colombians, Colombian nationals", "lang": "en"},
        {"title": "Thai police and Myanmar's anti-drug unit", "url": "https://x.example/a"},
        {"title": "long", "summary": " ".join(item.summary for item in dense)},
    ]
    lines = [  # \u escapes where the text has a lone surrogate (UTF-8 cannot carry one)
        json.dumps({"id": f"edge-{n}", **row}, ensure_ascii=_surrogates(row))
        for n, row in enumerate(rows)
    ]
    return [*lines, "not json", '{"summary": "no title"}', "[1, 2]", '{"title": 5}']


def compare(name: str, ours: list[bytes], theirs: list[bytes]) -> bool:
    """Print how the two outputs of one input agree (ids only); whether they are identical."""
    differing = []
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            differing.append(_row_id(a, index))
    digest = hashlib.sha256(b"\n".join(ours)).hexdigest()[:16]
    same = not differing and len(ours) == len(theirs)
    print(
        f"{name}: {len(ours)} rows here, {len(theirs)} at the commit, "
        f"{len(differing)} differ; sha256 {digest} {'identical' if same else 'DIFFERENT'}"
    )
    if differing:
        print(
            f"  differing ids: {', '.join(differing[:20])}{' ...' if len(differing) > 20 else ''}"
        )
    return same


def _surrogates(row: dict[str, Any]) -> bool:
    return any(
        isinstance(v, str) and any("\ud800" <= c <= "\udfff" for c in v) for v in row.values()
    )


def _row_id(line: bytes, index: int) -> str:
    try:
        return str(json.loads(line).get("id", index))
    except ValueError:
        return f"line {index + 1} (errors or exit status)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--generated", type=int, default=0, help="plain and dense items each")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        theirs_root = export(args.against, tmp)
        inputs = [*args.files, *generated(args.generated, tmp)] if args.generated else args.files
        for path in inputs:
            ours = score(ROOT, path.resolve(), tmp)
            theirs = score(theirs_root, path.resolve(), tmp)
            ok = compare(path.name, ours, theirs) and ok
    print("all identical" if ok else "outputs DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
