"""The image's install steps, replayed from the lock file in a clean directory, give a working CLI.

No Docker engine is needed: the Dockerfile's ENV, WORKDIR, COPY and `uv` RUN steps are replayed
with container paths (/app, /data) moved under tmp_path, the builder's files other than the
virtualenv are dropped as the runtime stage drops them, and the installed `narcowatch` is run
with the runtime stage's environment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from bot.settings.locate import bundled_files

pytestmark = pytest.mark.slow

_CONTAINER_PATH = re.compile(r"(?<![\w.-])/(app|data)(?=/|:|$)")


def to_host(value: str, root: Path) -> str:
    """Container paths (/app/..., /data/...) in a value, moved under `root`."""
    return _CONTAINER_PATH.sub(lambda m: f"{root}/{m.group(1)}", value)


def expand(value: str, env: dict[str, str]) -> str:
    """Dockerfile `$VAR`/`${VAR}` references in an ENV value, from the stage's environment."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), value)


def copy_into(repo: Path, sources: list[str], dest: Path, *, as_dir: bool) -> None:
    """COPY semantics: a directory's contents land in dest; files in dest/ or as dest."""
    for source in sources:
        path = repo / source
        assert path.exists(), f"COPY {source}: not in the repository"
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, dest, dirs_exist_ok=True, ignore=ignore)
        else:
            target = dest / path.name if as_dir else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def run_uv(uv: str, args: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """A uv step from the cache alone when it can, else from PyPI; returns which."""
    offline = subprocess.run(
        [uv, *args],
        cwd=cwd,
        env={**env, "UV_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if offline.returncode == 0:
        return "offline"
    online = subprocess.run(
        [uv, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert online.returncode == 0, f"uv {shlex.join(args)} failed:\n{online.stderr}"
    return "online"


def replay_stage(stage: Any, *, repo: Path, root: Path, env: dict[str, str], uv: str) -> Path:
    """ENV, WORKDIR, COPY (from the context) and `uv` RUN steps of a stage; returns the workdir.

    Other RUN steps (installing uv itself, creating the user and /data) need root and a Debian
    base; the replay uses the uv on PATH and tmp_path instead.
    """
    cwd = root
    for step in stage.instructions:
        if step.keyword == "ENV":
            for pair in shlex.split(step.args):
                key, _, value = pair.partition("=")
                env[key] = to_host(expand(value, env), root)
        elif step.keyword == "WORKDIR":
            cwd = Path(to_host(step.args, root))
            cwd.mkdir(parents=True, exist_ok=True)
        elif step.keyword == "COPY" and "from" not in step.flags:
            *sources, dest = shlex.split(step.args)
            as_dir = dest.endswith("/") or len(sources) > 1
            target = Path(to_host(dest, root)) if dest.startswith("/") else cwd / dest
            copy_into(repo, sources, target, as_dir=as_dir)
        elif step.keyword == "RUN" and step.args.startswith("uv "):
            run_uv(uv, shlex.split(step.args)[1:], cwd=cwd, env=env)
    return cwd


def keep_only(root: Path, kept: list[Path]) -> None:
    """What the runtime stage starts from: only the paths it copies from the builder."""
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if any(path == k or k in path.parents or path in k.parents for k in kept):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def package_files(package: Path) -> set[str]:
    """Paths of a package's files (data files and migrations included), bytecode aside."""
    return {
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def python_version(image: str) -> str:
    match = re.match(r"python:(3\.\d+)", image)
    assert match, image
    return match.group(1)


def test_locked_install_runs_the_cli_with_the_container_config(
    builder: Any, runtime: Any, repo: Path, tmp_path: Path
) -> None:
    """uv sync --frozen --no-dev as in the image, then `--version` and `check-config` succeed."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH; the image installs with it, so this replay needs it")
    started = time.monotonic()
    root = tmp_path / "container"
    root.mkdir()
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        # The interpreter the image's base provides; the uv cache is shared with the dev setup.
        "UV_PYTHON": python_version(builder.image),
        **{k: v for k, v in os.environ.items() if k in ("UV_CACHE_DIR", "UV_INDEX_URL")},
    }
    builder_env = dict(base)
    replay_stage(builder, repo=repo, root=root, env=builder_env, uv=uv)
    venv = Path(builder_env["UV_PROJECT_ENVIRONMENT"])
    assert (venv / "bin" / "narcowatch").exists()
    installed = next((venv / "lib").glob("python3.*/site-packages/bot"))
    bundled = {f"defaults/{name}" for name in bundled_files(repo / "config")}
    assert "defaults/narcowatch.yaml" in bundled
    assert package_files(installed) == package_files(repo / "bot") | bundled, (
        "the wheel drops files, or lacks the bundled config and topics"
    )

    kept = [Path(to_host(sources[0], root)) for source, sources, _ in runtime.copies() if source]
    keep_only(root, kept)
    assert not (root / "app" / "bot").exists()
    assert not (root / "app" / "uv.lock").exists()

    env = dict(base)
    workdir = replay_stage(runtime, repo=repo, root=root, env=env, uv=uv)
    (root / "data").mkdir(exist_ok=True)

    def in_container(*args: str) -> subprocess.CompletedProcess[str]:
        executable = shutil.which(args[0], path=env["PATH"])
        assert executable == str(venv / "bin" / args[0]), "PATH must find the image's virtualenv"
        return subprocess.run(
            [executable, *args[1:]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    version = in_container("narcowatch", "--version")
    assert version.returncode == 0, version.stderr
    assert re.fullmatch(r"narcowatch, version \d+\.\d+\.\d+\S*\n", version.stdout)

    # No --config: the image's NARCOWATCH_CONFIG and WORKDIR must find the config and topics.
    checked = in_container("narcowatch", "check-config")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"{root}/app/config/narcowatch.yaml: ok")
    assert "drug-control-cooperation" in checked.stdout
    # The shipped model's record came along with it: its origin is known.
    assert "  drug-control-cooperation: text model " in checked.stdout
    assert "labelled items from 4 files (cross-validated F1 0." in checked.stdout

    # The package came from the wheel (migrations included), and the image's DATABASE_URL works.
    migrated = in_container(
        "python",
        "-c",
        "import os, bot, bot.storage; print(bot.__file__); "
        "bot.storage.upgrade(os.environ['DATABASE_URL'])",
    )
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith(str(venv / "lib"))
    assert (root / "data" / "narcowatch.db").is_file()
    assert time.monotonic() - started < 90
