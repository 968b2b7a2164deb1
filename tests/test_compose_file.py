"""Static checks of compose.yaml and docker/Dockerfile; no Docker engine needed."""

from __future__ import annotations

import json
import re
import shlex
import socket
from collections.abc import Callable, Iterator
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for

from taskforge_entrypoints.config.go_duration import parse_go_duration
from taskforge_entrypoints.config.settings import load_settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = PROJECT_ROOT / "compose.yaml"
DOCKERFILE = PROJECT_ROOT / "docker" / "Dockerfile"

SERVICES = {"postgres", "redis", "migrate", "api", "worker", "scheduler"}
APP_SERVICES = ("migrate", "api", "worker", "scheduler")
LONG_RUNNING_APP_SERVICES = ("api", "worker", "scheduler")
MIGRATIONS_IN_IMAGE = "/app/migrations"

Document = dict[str, Any]


@cache
def compose_spec_schema() -> Document:
    vendored = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: Document = json.loads(vendored.read_text(encoding="utf-8"))
    return schema


def load_compose() -> Document:
    # Fresh on every call so a test that mutates its copy cannot leak into another.
    document: Document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


def schema_errors(document: Document) -> list[ValidationError]:
    schema = compose_spec_schema()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return sorted(validator_class(schema).iter_errors(document), key=lambda e: e.json_path)


def describe(errors: list[ValidationError]) -> str:
    return "\n".join(f"{error.json_path}: {error.message}" for error in errors)


def service(name: str) -> Document:
    definition: Document = load_compose()["services"][name]
    return definition


def port_mappings(definition: Document) -> set[tuple[int, int]]:
    mappings: set[tuple[int, int]] = set()
    for port in definition.get("ports", []):
        if isinstance(port, dict):
            mappings.add((int(port["published"]), int(port["target"])))
            continue
        *host, container = str(port).split(":")
        container_port = int(container.split("/")[0])
        mappings.add((int(host[-1]) if host else container_port, container_port))
    return mappings


def dependency_condition(definition: Document, dependency: str) -> str | None:
    depends_on = definition.get("depends_on", {})
    if isinstance(depends_on, list):
        return "service_started" if dependency in depends_on else None
    entry = depends_on.get(dependency)
    return None if entry is None else entry.get("condition", "service_started")


def as_argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def dockerfile_instructions() -> Iterator[tuple[str, str]]:
    logical_line = ""
    for raw_line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not logical_line and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            logical_line += line[:-1] + " "
            continue
        logical_line += line
        keyword, _, arguments = logical_line.partition(" ")
        yield keyword.upper(), arguments.strip()
        logical_line = ""


def runtime_stage_instructions() -> list[tuple[str, str]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, arguments))
    assert stages, "the Dockerfile has no FROM instruction"
    return stages[-1]


def test_compose_file_conforms_to_the_compose_specification() -> None:
    errors = schema_errors(load_compose())

    assert not errors, f"compose.yaml violates the Compose Specification:\n{describe(errors)}"


def _ports_as_a_string(document: Document) -> None:
    document["services"]["api"]["ports"] = "8080"


def _unknown_service_key(document: Document) -> None:
    document["services"]["api"]["restart_policy"] = "always"


def _unknown_dependency_condition(document: Document) -> None:
    document["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_finished"


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(_ports_as_a_string, id="ports-as-a-string"),
        pytest.param(_unknown_service_key, id="unknown-service-key"),
        pytest.param(_unknown_dependency_condition, id="unknown-dependency-condition"),
    ],
)
def test_schema_check_rejects_a_broken_compose_file(
    break_it: Callable[[Document], None],
) -> None:
    broken = load_compose()
    break_it(broken)

    errors = schema_errors(broken)

    assert errors, "the schema accepted a deliberately broken compose file"
    assert any(list(error.absolute_path)[:2] == ["services", "api"] for error in errors), describe(
        errors
    )


def test_compose_file_uses_the_specification_format_without_a_version_key() -> None:
    assert "version" not in load_compose()


def test_all_services_are_defined() -> None:
    assert set(load_compose()["services"]) == SERVICES


@pytest.mark.parametrize(
    ("name", "host_port", "container_port"),
    [
        ("postgres", 5433, 5432),
        ("redis", 6380, 6379),
        ("api", 8080, 8080),
    ],
)
def test_service_publishes_its_agreed_host_port(
    name: str, host_port: int, container_port: int
) -> None:
    assert (host_port, container_port) in port_mappings(service(name))


@pytest.mark.parametrize("name", ["migrate", "worker", "scheduler"])
def test_background_service_publishes_no_host_port(name: str) -> None:
    # A fixed host port would make `docker compose up --scale worker=3` fail on the second replica.
    assert "ports" not in service(name)


def test_worker_can_be_scaled() -> None:
    worker = service("worker")

    assert "container_name" not in worker
    assert worker["environment"]["WORKER_CONSUMER_NAME"] == "worker-{hostname}"


def compose_environment(definition: Document) -> dict[str, str]:
    """A service's environment as Compose passes it, `${VAR:-default}` taken at its default."""
    return {
        name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        for name, value in definition["environment"].items()
    }


def test_scaled_worker_replicas_join_the_group_under_distinct_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = compose_environment(service("worker"))
    names = set()
    # Compose gives each replica's container a host name of its own (its id).
    for hostname in ("3f2a9c01d4e5", "b71e04c9a2d8", "0c5d8e7f6a1b"):
        monkeypatch.setattr(socket, "gethostname", lambda hostname=hostname: hostname)
        names.add(load_settings(environment).worker_consumer_name)

    assert names == {"worker-3f2a9c01d4e5", "worker-b71e04c9a2d8", "worker-0c5d8e7f6a1b"}


def test_workers_outlive_their_shutdown_grace_when_scaled_down() -> None:
    worker = service("worker")
    grace = load_settings(compose_environment(worker)).worker_shutdown_grace

    assert parse_go_duration(worker["stop_grace_period"]) > grace


def test_migrate_applies_all_migrations_once_postgres_is_healthy() -> None:
    migrate = service("migrate")

    assert as_argv(migrate["command"]) == ["migrate", "up"]
    assert dependency_condition(migrate, "postgres") == "service_healthy"
    assert migrate["restart"] == "no"


@pytest.mark.parametrize("name", LONG_RUNNING_APP_SERVICES)
def test_app_service_starts_only_after_migrations_and_healthy_backends(name: str) -> None:
    definition = service(name)

    assert dependency_condition(definition, "migrate") == "service_completed_successfully"
    assert dependency_condition(definition, "postgres") == "service_healthy"
    assert dependency_condition(definition, "redis") == "service_healthy"
    assert definition["restart"] == "unless-stopped"


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("api", ["api"]),
        ("worker", ["worker", "--no-scheduler"]),
        ("scheduler", ["scheduler"]),
    ],
)
def test_app_service_runs_its_subcommand(name: str, argv: list[str]) -> None:
    assert as_argv(service(name)["command"]) == argv


def test_app_services_share_one_image_built_from_the_project_dockerfile() -> None:
    services = load_compose()["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    builds = [services[name]["build"] for name in APP_SERVICES]

    assert len(images) == 1, images
    for build in builds:
        assert build["context"] == "."
        assert (PROJECT_ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_image_is_pinned(name: str) -> None:
    image = service(name)["image"]
    if "@sha256:" in image:
        return
    _, _, last_segment = image.rpartition("/")
    _, separator, tag = last_segment.partition(":")

    assert separator, f"{name} uses {image!r} without a tag"
    assert tag not in {"", "latest"}, f"{name} uses {image!r}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_reads_migrations_from_the_image(name: str) -> None:
    environment = service(name)["environment"]

    assert environment["POSTGRES_MIGRATION_PATH"] == f"file://{MIGRATIONS_IN_IMAGE}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_talks_to_the_compose_backends(name: str) -> None:
    environment = service(name)["environment"]

    assert environment["POSTGRES_HOST"] == "postgres"
    assert environment["POSTGRES_PORT"] == "5432"
    assert environment["REDIS_ADDR"] == "redis:6379"


def test_api_healthcheck_probes_readiness_over_http() -> None:
    test = service("api")["healthcheck"]["test"]

    assert "http://127.0.0.1:8080/ready" in " ".join(as_argv(test))


@pytest.mark.parametrize("name", ["migrate", "worker", "scheduler"])
def test_non_http_service_does_not_inherit_the_http_healthcheck(name: str) -> None:
    healthcheck = service(name).get("healthcheck", {})

    assert healthcheck.get("disable") is True or "http://" not in " ".join(
        as_argv(healthcheck.get("test", []))
    )


def test_worker_gets_time_to_finish_in_flight_jobs_on_shutdown() -> None:
    assert service("worker")["stop_grace_period"] == "45s"


@pytest.mark.parametrize(
    ("name", "probe"),
    [("postgres", "pg_isready"), ("redis", "redis-cli")],
)
def test_backend_reports_health(name: str, probe: str) -> None:
    assert probe in as_argv(service(name)["healthcheck"]["test"])


def test_dockerfile_builds_in_a_separate_stage_from_the_runtime() -> None:
    stages = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]

    assert len(stages) >= 2, stages


def test_dockerfile_copies_migrations_into_the_image() -> None:
    copies = [
        shlex.split(arguments)
        for keyword, arguments in runtime_stage_instructions()
        if keyword == "COPY"
    ]

    assert any(
        not any(arg.startswith("--from") for arg in argv)
        and argv[-1].rstrip("/") == MIGRATIONS_IN_IMAGE
        and any(source.rstrip("/") == "migrations" for source in argv[:-1])
        for argv in copies
    ), copies


def test_dockerfile_points_the_app_at_the_copied_migrations() -> None:
    environment = " ".join(
        arguments for keyword, arguments in runtime_stage_instructions() if keyword == "ENV"
    )

    assert f"POSTGRES_MIGRATION_PATH=file://{MIGRATIONS_IN_IMAGE}" in environment


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in runtime_stage_instructions() if keyword == "USER"]

    assert users, "the runtime stage has no USER instruction"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, users[-1]


def test_dockerfile_starts_the_taskforge_cli() -> None:
    instructions = dict(runtime_stage_instructions())

    assert json.loads(instructions["ENTRYPOINT"]) == ["taskforge"]
    assert json.loads(instructions["CMD"]) == ["api"]
