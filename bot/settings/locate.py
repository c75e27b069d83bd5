"""Which config file is in force: --config, $NARCOWATCH_CONFIG, the working folder, bundled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

WORKING_FOLDER_CONFIG = Path("config/narcowatch.yaml")
CONFIG_NAME = "narcowatch.yaml"
TOPICS_FOLDER = "topics"
# The wheel carries the repository's config/narcowatch.yaml and config/topics/ here
# (pyproject.toml, [tool.hatch.build.targets.wheel.force-include]).
PACKAGED_FOLDER = "defaults"


@dataclass(frozen=True, slots=True)
class ConfigLocation:
    """A config file and why it was chosen (`--config`, `NARCOWATCH_CONFIG`, working folder,
    bundled)."""

    path: Path
    origin: str

    @property
    def bundled(self) -> bool:
        return self.origin == "bundled"


def bundled_config_dir() -> Path:
    """The folder with the bundled narcowatch.yaml and topics/: inside the installed package,
    or the repository's config/ when narcowatch runs from a checkout (an editable install)."""
    packaged = resources.files("bot").joinpath(PACKAGED_FOLDER)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "config"
    if (checkout / CONFIG_NAME).is_file():
        return checkout
    return Path(str(packaged))  # missing: reading it reports the path


def locate_config(
    option: str | None, env: Mapping[str, str], *, cwd: Path, bundled: Path
) -> ConfigLocation:
    """--config, else $NARCOWATCH_CONFIG, else config/narcowatch.yaml in `cwd` when it exists,
    else the bundled config in `bundled`. A named file is used even if missing (its error says
    so); only the working folder's default falls back."""
    if option:
        return ConfigLocation(Path(option), "--config")
    if env.get("NARCOWATCH_CONFIG"):
        return ConfigLocation(Path(env["NARCOWATCH_CONFIG"]), "NARCOWATCH_CONFIG")
    if (cwd / WORKING_FOLDER_CONFIG).is_file():
        return ConfigLocation(WORKING_FOLDER_CONFIG, "working folder")
    return ConfigLocation(bundled / CONFIG_NAME, "bundled")


def bundled_files(bundled: Path) -> list[Path]:
    """The bundled files, relative to `bundled`: the config, then every file under topics/
    (topic files and whatever they refer to, such as a learned model and its provenance)."""
    topics = bundled / TOPICS_FOLDER
    found = sorted(p.relative_to(bundled) for p in topics.rglob("*") if p.is_file())
    return [Path(CONFIG_NAME), *(p for p in found if "__pycache__" not in p.parts)]
