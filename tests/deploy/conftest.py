"""The deployment files read once per test session: the Dockerfile as stages, compose.yaml, .env."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
CONTAINER_CONFIG = REPO / "config" / "docker" / "narcowatch.yaml"
MAIN_CONFIG = REPO / "config" / "narcowatch.yaml"


@dataclass
class Instruction:
    """One Dockerfile instruction: its keyword, its flags (`--from=x`) and the rest."""

    keyword: str
    flags: dict[str, str]
    args: str

    def exec_form(self) -> list[str] | None:
        """The command as a JSON array (exec form), or None for the shell form."""
        command = (
            self.args.removeprefix("CMD ").strip() if self.keyword == "HEALTHCHECK" else self.args
        )
        try:
            parsed = json.loads(command)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None


@dataclass
class Stage:
    """One build stage: its base image, its name and its instructions after FROM."""

    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV values in order, later ones winning, `$VAR` left as written."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.args):
                key, _, value = pair.partition("=")
                values[key] = value
        return values

    def copies(self) -> list[tuple[str | None, list[str], str]]:
        """(from-stage or None for the build context, sources, destination) per COPY."""
        result = []
        for instruction in self.all("COPY"):
            *sources, dest = shlex.split(instruction.args)
            result.append((instruction.flags.get("from"), sources, dest))
        return result

    def workdir(self) -> str | None:
        last = self.last("WORKDIR")
        return last.args if last else None


_FLAG = re.compile(r"--([a-z-]+)=(\S+)\s+")


def split_flags(value: str) -> tuple[dict[str, str], str]:
    """Leading `--name=value` flags (RUN --mount, COPY --from, HEALTHCHECK --interval) apart."""
    flags: dict[str, str] = {}
    rest = value.strip()
    while match := _FLAG.match(rest):
        flags.setdefault(match.group(1), match.group(2))
        rest = rest[match.end() :]
    return flags, rest


def read_stages(path: Path) -> list[Stage]:
    """The Dockerfile's stages in order, without comments, values as written (no ENV expansion)."""
    parser = DockerfileParser(path=str(path), env_replace=False)
    stages: list[Stage] = []
    for entry in parser.structure:
        keyword = entry["instruction"]
        if keyword == "COMMENT":
            continue
        if keyword == "FROM":
            words = entry["value"].split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image=words[0], name=name))
            continue
        if not stages:
            continue  # ARGs before the first FROM
        flags, rest = split_flags(" ".join(entry["value"].split()))
        stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return stages


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a dotenv file, commented-out `# KEY=` lines included as empty."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip()
    return values


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def stages() -> list[Stage]:
    return read_stages(DOCKERFILE)


@pytest.fixture(scope="session")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


@pytest.fixture(scope="session")
def builder(stages: list[Stage], runtime: Stage) -> Stage:
    """The stage the runtime stage copies its virtualenv from."""
    sources = {source for source, _, _ in runtime.copies() if source}
    assert len(sources) == 1, f"the runtime stage copies from {sources or 'no stage'}"
    (name,) = sources
    return next(stage for stage in stages if stage.name == name)


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="session")
def main_config() -> dict[str, Any]:
    data = yaml.safe_load(MAIN_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def container_config() -> dict[str, Any]:
    data = yaml.safe_load(CONTAINER_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
