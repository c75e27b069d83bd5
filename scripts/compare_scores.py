"""Checks that `narcowatch score` gives byte-identical output here and at another commit.

Run: uv run --frozen python scripts/compare_scores.py --against REV [--generated N] [FILE...]

The commit is exported (`git archive`) to a temporary folder outside the repository and run
with this checkout's virtualenv, each side with its own default topic file. Inputs: the JSON
Lines FILEs (e.g. ../shared/eval/*.jsonl) and, with --generated N, N plain, N entity-dense
and N packed (news words only) benchmark items (benchmarks/bench_matcher.py, benchmarks/dense_items.py). Only counts, ids and
digests are printed, never an item's text: labelled eval data stays where it is. Exit 1 when
any output line differs.
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
    """`narcowatch score` output lines of the checkout at `root` (its own topic file)."""
    config = tmp / f"config-{hashlib.sha1(str(root).encode()).hexdigest()[:8]}.yaml"
    config.write_text(f"topics:\n  - {root / TOPIC}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "score", "--config", str(config), str(items)],
        cwd=root,  # `-m bot` imports the package of the working folder first
        check=True,
        capture_output=True,
    )
    return result.stdout.splitlines()


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
    return paths


def compare(name: str, ours: list[bytes], theirs: list[bytes]) -> bool:
    """Print how the two outputs of one input agree (ids only); whether they are identical."""
    differing = []
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            differing.append(str(json.loads(a).get("id", index)))
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
