#!/usr/bin/env bash
# Run the test suite against the lowest version of every runtime dependency that
# pyproject.toml allows (uv's lowest-direct resolution), with the development tools at their
# locked versions: the lower bounds in pyproject.toml are the versions this passes with.
#
#   scripts/test_lowest_deps.sh [pytest args...]      e.g. -n 2, or tests/fetch
#
# It works on a copy of the checkout in a temporary folder, with its own virtualenv, and
# leaves the project's .venv alone. mypy is left out: it checks our types against each
# library's own annotations, which older releases lack; the behaviour is what is tested.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/narcowatch-lowest.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$repo"
# Names of the runtime (`runtime`) or development (`dev`) dependencies in pyproject.toml.
names() {
    python3 - "$1" <<'PY'
import re, sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))
deps = project["project"]["dependencies"] if sys.argv[1] == "runtime" else project["dependency-groups"]["dev"]
print("\n".join(re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in deps))
PY
}
# The development tools exactly as locked: they are not what is tested here.
uv export --frozen --only-group dev --no-hashes --no-emit-project \
    | grep -E '^[A-Za-z0-9_.-]+==' | sed 's/ *;.*//' > "$work/dev-locked.txt"
names dev | while read -r name; do
    grep -i -E "^${name}==" "$work/dev-locked.txt" || true
done > "$work/dev.txt"

uv pip compile pyproject.toml "$work/dev.txt" --resolution lowest-direct --python-version 3.11 \
    --quiet --no-header --no-annotate --output-file "$work/lowest.txt"
echo "lowest runtime versions:"
names runtime | while read -r name; do grep -i -E "^${name}==" "$work/lowest.txt" || true; done \
    | tr '\n' ' '
echo

git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$work" --one-top-level=src
[ -e "$work/shared" ] || ln -s "$repo/../shared" "$work/shared"
uv venv --quiet --python 3.11 "$work/venv"
VIRTUAL_ENV="$work/venv" uv pip install --quiet -r "$work/lowest.txt"
VIRTUAL_ENV="$work/venv" uv pip install --quiet --no-deps -e "$work/src"

cd "$work/src"
"$work/venv/bin/python" -m pytest -p no:cacheprovider \
    --deselect tests/test_codebase.py::test_mypy_strict_passes_on_bot "$@"
