"""The Dockerfile has the shape operators rely on: stages, user, signals, health, ports, volume."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def test_two_stages_on_one_pinned_slim_python(stages: list[Any]) -> None:
    """A builder and a runtime stage share one slim Python 3.11+ base pinned by tag."""
    assert len(stages) >= 2
    images = {stage.image for stage in stages}
    assert len(images) == 1, f"the virtualenv copied between stages needs one base, got {images}"
    (image,) = images
    match = re.fullmatch(r"python:3\.(\d+)(?:\.\d+)?-slim(?:-\w+)?", image)
    assert match, f"{image!r} is not a tagged python:3.X-slim image"
    assert int(match.group(1)) >= 11


def test_runtime_gets_only_the_virtualenv_from_the_builder(builder: Any, runtime: Any) -> None:
    """The runtime stage copies /app/.venv from the builder and nothing else, so no sources."""
    from_builder = [(s, d) for source, s, d in runtime.copies() if source == builder.name]
    assert from_builder == [(["/app/.venv"], "/app/.venv")]
    assert builder.env().get("UV_PROJECT_ENVIRONMENT") == "/app/.venv"
    assert builder is not runtime


def test_dependencies_come_from_the_lock_file_with_pinned_uv(builder: Any) -> None:
    """uv is a pinned PyPI install; every sync is --frozen --no-dev; deps install before sources."""
    runs = [i.args for i in builder.all("RUN")]
    assert any(re.search(r"\bpip install --no-cache-dir uv==\d+\.\d+\.\d+$", r) for r in runs)
    syncs = [r for r in runs if r.startswith("uv sync")]
    assert len(syncs) == 2
    assert all("--frozen" in s and "--no-dev" in s for s in syncs)
    assert "--no-install-project" in syncs[0]
    assert "--no-editable" in syncs[1]
    order = [(i.keyword, i.args) for i in builder.instructions if i.keyword in ("COPY", "RUN")]
    first_sync = order.index(("RUN", syncs[0]))
    copied_before = " ".join(args for keyword, args in order[:first_sync] if keyword == "COPY")
    assert "uv.lock" in copied_before
    assert "bot" not in copied_before.split(), (
        "sources before the dependency layer defeat its cache"
    )


def test_no_downloads_besides_pypi_and_debian(stages: list[Any], repo: Path) -> None:
    """No curl/wget/ADD-from-URL installers anywhere in the Dockerfile."""
    text = (repo / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"\b(curl|wget)\b", text)
    assert all(stage.all("ADD") == [] for stage in stages)


def test_runtime_runs_as_a_non_root_user(runtime: Any) -> None:
    """The last USER of the runtime stage is a numeric, non-root uid."""
    user = runtime.last("USER")
    assert user is not None
    uid = user.args.split(":")[0]
    assert uid.isdigit(), user.args
    assert int(uid) > 0
    created = " ".join(i.args for i in runtime.all("RUN"))
    assert f"--uid {uid}" in created


def test_data_volume_is_owned_by_the_runtime_user(runtime: Any) -> None:
    """/data is a volume, created and chowned before VOLUME so new named volumes are writable."""
    volume = runtime.last("VOLUME")
    assert volume is not None
    assert volume.exec_form() == ["/data"]
    setup = " ".join(i.args for i in runtime.all("RUN"))
    assert "mkdir /data" in setup
    assert re.search(r"chown \S+ /data", setup)
    keywords = [i.keyword for i in runtime.instructions]
    assert keywords.index("RUN") < keywords.index("VOLUME")


def test_default_database_lives_on_the_data_volume(runtime: Any, container_config: Any) -> None:
    """DATABASE_URL and the container config both put the SQLite file under /data."""
    assert runtime.env()["DATABASE_URL"] == "sqlite:////data/narcowatch.db"
    assert container_config["database_url"] == "sqlite:////data/narcowatch.db"


def test_config_path_is_where_the_container_config_is_copied(runtime: Any, repo: Path) -> None:
    """NARCOWATCH_CONFIG is where the runtime stage copies config/docker/narcowatch.yaml."""
    workdir = runtime.workdir()
    assert workdir == "/app"
    destinations = {
        sources[0]: str(Path(workdir) / dest)
        for source, sources, dest in runtime.copies()
        if source is None
    }
    assert destinations["config/docker/narcowatch.yaml"] == runtime.env()["NARCOWATCH_CONFIG"]
    assert runtime.env()["NARCOWATCH_CONFIG"] == "/app/config/narcowatch.yaml"
    for source in destinations:
        assert (repo / source).exists(), f"COPY {source}: no such file in the repository"


def test_topic_paths_resolve_to_a_copied_directory(runtime: Any, container_config: Any) -> None:
    """Every topic file the container config names lies in a directory the image copies, found
    as narcowatch finds it: from the workdir, else beside the config file (NARCOWATCH_CONFIG)."""
    workdir = Path(runtime.workdir())
    copied = {str(workdir / d) for s, _, d in runtime.copies() if s is None}
    config_dir = Path(runtime.env()["NARCOWATCH_CONFIG"]).parent
    for topic in container_config["topics"]:
        assert not Path(topic).is_absolute()
        found_in = {str(workdir / Path(topic).parent), str(config_dir / Path(topic).parent)}
        assert found_in & copied, topic


def test_health_port_is_exposed_and_served_on_all_interfaces(
    runtime: Any, container_config: Any
) -> None:
    """EXPOSE 8080 matches health.listen, which must be 0.0.0.0 to be reachable from outside."""
    expose = runtime.last("EXPOSE")
    assert expose is not None
    assert expose.args.split() == ["8080"]
    assert container_config["health"]["listen"] == "0.0.0.0:8080"


def test_narcowatch_is_on_the_path(runtime: Any) -> None:
    """PATH starts with the virtualenv's bin, so exec-form commands find `narcowatch`."""
    assert runtime.env()["PATH"].split(":")[0] == "/app/.venv/bin"


def test_process_and_health_commands(runtime: Any) -> None:
    """CMD is exec-form `narcowatch run` with no entrypoint; SIGTERM stops it; health checks it."""
    cmd = runtime.last("CMD")
    assert cmd is not None
    assert cmd.exec_form() == ["narcowatch", "run"]
    assert runtime.all("ENTRYPOINT") == []
    stop = runtime.last("STOPSIGNAL")
    assert stop is not None
    assert stop.args == "SIGTERM"
    check = runtime.last("HEALTHCHECK")
    assert check is not None
    assert check.exec_form() == ["narcowatch", "health"]
    # `narcowatch health` waits up to 5 s for an answer; the check must allow for that.
    assert int(check.flags["timeout"].removesuffix("s")) > 5


def test_dockerignore_keeps_local_state_out_but_copied_files_in(
    runtime: Any, builder: Any, repo: Path
) -> None:
    """.dockerignore drops venvs, git, caches, data and .env, and none of the copied paths."""
    ignored = {
        line.strip()
        for line in (repo / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".venv", ".git", "data", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".env"):
        assert needed in ignored, needed
    for stage in (builder, runtime):
        for source, sources, _ in stage.copies():
            if source is None:
                for path in sources:
                    assert path.rstrip("/") not in ignored
                    assert path.split("/")[0] not in ignored, path
