"""compose.yaml and .env.example agree with the image and with what narcowatch reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

_INTERPOLATED = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-?+][^}]*)?\}")


def names_read_by_narcowatch(repo: Path) -> set[str]:
    """Upper-case string literals in bot/ that are environment variable names narcowatch uses."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (repo / "bot").rglob("*.py"))
    literals = set(re.findall(r"""["']([A-Z][A-Z0-9]*_[A-Z0-9_]+)["']""", text))
    return {name for name in literals if name.startswith(("NARCOWATCH_", "TELEGRAM_", "DATABASE_"))}


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    services = compose["services"]
    assert name in services, f"compose.yaml has no {name!r} service"
    return services[name]  # type: ignore[no-any-return]


def test_narcowatch_environment_is_read_by_narcowatch(compose: Any, repo: Path) -> None:
    """Every variable compose hands narcowatch is one narcowatch reads (no typos, no dead ones)."""
    environment = service(compose, "narcowatch")["environment"]
    assert isinstance(environment, dict)
    read = names_read_by_narcowatch(repo)
    expected = {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "NARCOWATCH_CONFIG",
        "NARCOWATCH_LOG_FORMAT",
        "NARCOWATCH_LOG_LEVEL",
    }
    assert expected <= read, f"bot/ no longer reads {expected - read}"
    assert set(environment) == expected


def test_env_example_covers_compose_interpolation(
    compose: Any, env_example: dict[str, str], repo: Path
) -> None:
    """.env.example lists exactly the variables compose.yaml takes from .env."""
    text = (repo / "compose.yaml").read_text(encoding="utf-8")
    interpolated = set(_INTERPOLATED.findall(text))
    assert {"TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD"} <= interpolated
    assert set(env_example) == interpolated
    assert env_example["POSTGRES_PASSWORD"] == "", "the example must not ship a usable password"
    assert env_example["NARCOWATCH_LOG_FORMAT"] in ("text", "json")


def interpolate(text: str, env: dict[str, str]) -> str:
    """compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` substitution, for tests."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        value = env.get(name, "")
        if operator == ":?" and not value:
            raise ValueError(f"{name}: {rest}")
        return value or (rest if operator == ":-" else "")

    return re.sub(r"\$\{([A-Z][A-Z0-9_]*)(?:(:[-?])([^}]*))?\}", substitute, text)


def test_database_url_points_at_the_db_service(repo: Path) -> None:
    """DATABASE_URL names the db service, its port, user and database, and the shared password."""
    text = (repo / "compose.yaml").read_text(encoding="utf-8")
    resolved = yaml.safe_load(interpolate(text, {"POSTGRES_PASSWORD": "0f3a9c"}))
    url = urlsplit(service(resolved, "narcowatch")["environment"]["DATABASE_URL"])
    db_env = service(resolved, "db")["environment"]
    assert url.scheme == "postgresql"
    assert url.hostname == "db"
    assert url.port == 5432
    assert url.username == db_env["POSTGRES_USER"]
    assert url.path == f"/{db_env['POSTGRES_DB']}"
    assert url.password == db_env["POSTGRES_PASSWORD"] == "0f3a9c"


def test_compose_refuses_to_start_without_a_postgres_password(repo: Path) -> None:
    """POSTGRES_PASSWORD is only used as `${POSTGRES_PASSWORD:?...}`: empty is an error."""
    text = (repo / "compose.yaml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{POSTGRES_PASSWORD[^}]*\}", text)
    assert len(uses) == 2
    assert all(use.startswith("${POSTGRES_PASSWORD:?") for use in uses)


def test_narcowatch_waits_for_a_healthy_postgres_16(compose: Any) -> None:
    """db is PostgreSQL 16 with a pg_isready healthcheck that narcowatch waits for."""
    db = service(compose, "db")
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in db["healthcheck"]["test"]
    depends = service(compose, "narcowatch")["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"


def test_both_services_restart_and_keep_data_in_named_volumes(compose: Any, runtime: Any) -> None:
    """Both services restart; /data and PostgreSQL's data directory are declared named volumes."""
    named = set(compose["volumes"])
    mounts: dict[str, str] = {}
    for name in ("narcowatch", "db"):
        assert service(compose, name)["restart"] in ("unless-stopped", "always")
        for mount in service(compose, name)["volumes"]:
            source, target = mount.split(":")[:2]
            mounts[target] = source
    assert runtime.last("VOLUME").exec_form() == ["/data"]
    assert mounts["/data"] in named
    assert mounts["/var/lib/postgresql/data"] in named


def test_config_mounts_land_where_the_image_reads_them(
    compose: Any, runtime: Any, repo: Path, container_config: Any
) -> None:
    """The config file mounts at the image's NARCOWATCH_CONFIG, the topics where the config says."""
    mounts = {}
    for mount in service(compose, "narcowatch")["volumes"]:
        source, target, *options = mount.split(":")
        if source.startswith("./"):
            assert options == ["ro"], f"{mount}: the daemon has no reason to write config"
            assert (repo / source).exists(), f"{source} does not exist in the repository"
            mounts[target] = source
    config_target = runtime.env()["NARCOWATCH_CONFIG"]
    assert mounts[config_target] == "./config/docker/narcowatch.yaml"
    assert service(compose, "narcowatch")["environment"]["NARCOWATCH_CONFIG"] == config_target
    # A topic path resolves from the workdir, else beside the config file (bot.settings).
    for topic in container_config["topics"]:
        found_in = {
            str(Path(runtime.workdir()) / Path(topic).parent),
            str(Path(config_target).parent / Path(topic).parent),
        }
        assert found_in & set(mounts), topic


def test_health_port_is_published_on_loopback_only(compose: Any, runtime: Any) -> None:
    """The only published port is the exposed health port, bound to 127.0.0.1 on the host."""
    ports = service(compose, "narcowatch")["ports"]
    assert ports == [f"127.0.0.1:8080:{runtime.last('EXPOSE').args}"]
    assert "ports" not in service(compose, "db")


def test_container_config_differs_from_the_main_config_only_where_it_must(
    container_config: Any, main_config: Any
) -> None:
    """config/docker/narcowatch.yaml is config/narcowatch.yaml with health and database changed."""
    differing = {
        k
        for k in container_config.keys() | main_config.keys()
        if container_config.get(k) != main_config.get(k)
    }
    assert differing == {"database_url", "health"}
    assert {k: v for k, v in container_config["health"].items() if k != "listen"} == {
        k: v for k, v in main_config["health"].items() if k != "listen"
    }


def test_the_training_override_makes_the_read_only_topics_writable(
    compose: Any, repo: Path
) -> None:
    """compose.train.yaml names the same host folder at the same container path as the
    read-only mount of compose.yaml, without `:ro` (Compose merges volumes by container path,
    so its entry replaces that one), and nothing else: the daemon's data and config mounts
    stay as they are."""
    topics = [v for v in service(compose, "narcowatch")["volumes"] if "/config/topics" in v]
    assert len(topics) == 1
    source, target, mode = topics[0].split(":")
    assert mode == "ro"
    override = yaml.safe_load((repo / "compose.train.yaml").read_text(encoding="utf-8"))
    assert list(override["services"]) == ["narcowatch"]
    assert override["services"]["narcowatch"] == {"volumes": [f"{source}:{target}"]}
    docs = (repo / "docs" / "docker.md").read_text(encoding="utf-8")
    assert "-f compose.yaml -f compose.train.yaml run --rm --user" in docs
