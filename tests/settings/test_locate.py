"""Which config is in force, and what the bundled config is made of."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.configuration import load_configuration
from bot.settings.locate import bundled_config_dir, bundled_files, locate_config

REPO = Path(__file__).resolve().parents[2]


def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    (folder / "topics" / "extra").mkdir(parents=True)
    (folder / "narcowatch.yaml").write_text("topics: [topics/a.yaml]\n", encoding="utf-8")
    (folder / "topics" / "a.yaml").write_text("id: a\n", encoding="utf-8")
    (folder / "topics" / "a.model.npz").write_bytes(b"PK\x03\x04")
    (folder / "topics" / "a.model.provenance.json").write_text("{}", encoding="utf-8")
    (folder / "topics" / "extra" / "b.yaml").write_text("id: b\n", encoding="utf-8")
    return folder


def test_the_config_option_wins_even_when_its_file_is_missing(tmp_path: Path) -> None:
    """--config is used as given (a missing file is an error later, never a silent fallback)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "narcowatch.yaml").write_text("{}", encoding="utf-8")
    env = {"NARCOWATCH_CONFIG": "/etc/nw.yaml"}
    location = locate_config("missing.yaml", env, cwd=tmp_path, bundled=bundle(tmp_path))
    assert (location.path, location.origin, location.bundled) == (
        Path("missing.yaml"),
        "--config",
        False,
    )


def test_the_environment_wins_over_the_working_folder(tmp_path: Path) -> None:
    """$NARCOWATCH_CONFIG is used before config/narcowatch.yaml in the working folder."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "narcowatch.yaml").write_text("{}", encoding="utf-8")
    env = {"NARCOWATCH_CONFIG": "/etc/nw.yaml"}
    location = locate_config(None, env, cwd=tmp_path, bundled=bundle(tmp_path))
    assert (location.path, location.origin) == (Path("/etc/nw.yaml"), "NARCOWATCH_CONFIG")


def test_the_working_folder_config_is_used_when_it_exists(tmp_path: Path) -> None:
    """With neither option nor variable, config/narcowatch.yaml in the working folder is used."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "narcowatch.yaml").write_text("{}", encoding="utf-8")
    location = locate_config(None, {"NARCOWATCH_CONFIG": ""}, cwd=tmp_path, bundled=tmp_path)
    assert (location.path, location.origin) == (Path("config/narcowatch.yaml"), "working folder")


def test_the_bundled_config_is_used_when_nothing_else_is_there(tmp_path: Path) -> None:
    """An empty working folder and no option or variable: the bundled config."""
    folder = bundle(tmp_path)
    location = locate_config(None, {}, cwd=tmp_path / "empty", bundled=folder)
    assert (location.path, location.origin, location.bundled) == (
        folder / "narcowatch.yaml",
        "bundled",
        True,
    )


def test_bundled_files_are_the_config_and_everything_under_topics(tmp_path: Path) -> None:
    """Non-YAML files beside a topic (a learned model, its provenance) and subfolders count."""
    assert [str(p) for p in bundled_files(bundle(tmp_path))] == [
        "narcowatch.yaml",
        "topics/a.model.npz",
        "topics/a.model.provenance.json",
        "topics/a.yaml",
        "topics/extra/b.yaml",
    ]


def test_from_a_checkout_the_bundle_is_the_repository_config_folder() -> None:
    """Running from source (an editable install), the bundled config is the repo's config/:
    one copy of the files, the same ones the wheel carries."""
    assert bundled_config_dir() == REPO / "config"
    assert Path("topics/drug-control-cooperation.yaml") in bundled_files(REPO / "config")
    assert Path("docker/narcowatch.yaml") not in bundled_files(REPO / "config")


def test_the_bundled_config_loads_from_any_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its topic paths resolve beside the config file, so it validates from an empty folder."""
    monkeypatch.chdir(tmp_path)
    config = load_configuration(bundled_config_dir() / "narcowatch.yaml", env={})
    assert config.topic_ids == ("drug-control-cooperation",)
    assert config.settings.topics[0].is_file()
