"""Static checks of deploy/kubernetes: the kustomize base and the example overlay render,
every object is valid against the Kubernetes schemas (kubernetes-validate bundles
them, offline), and the pieces fit Taskforge and each other."""

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from taskforge_entrypoints.config.go_duration import parse_go_duration
from taskforge_entrypoints.config.settings import load_settings
from tests.kustomize import KustomizeError, Manifest, containers, render

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = PROJECT_ROOT / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
OVERLAY = KUBERNETES / "overlays" / "example"
# The oldest Kubernetes still supported upstream when these manifests were written.
KUBERNETES_VERSION = "1.31.0"
CRD_KINDS = {("keda.sh/v1alpha1", "ScaledObject")}

# What KEDA 2.16's `redis-streams` scaler reads from a trigger's metadata, as its
# documentation (keda.sh/docs/2.16/scalers/redis-streams) lists them. A name outside
# this list is ignored by the scaler without a word, so a misspelt `lagcount` would
# silently fall back to counting pending entries only.
KEDA_REDIS_STREAMS_METADATA = {
    "address",
    "host",
    "port",
    "addressFromEnv",
    "hostFromEnv",
    "portFromEnv",
    "usernameFromEnv",
    "passwordFromEnv",
    "stream",
    "consumerGroup",
    "pendingEntriesCount",
    "streamLength",
    "lagCount",
    "activationLagCount",
    "enableTLS",
    "unsafeSsl",
    "databaseIndex",
}
KEDA_SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
KEDA_TRIGGER_FIELDS = {
    "type",
    "name",
    "metadata",
    "authenticationRef",
    "metricType",
    "useCachedMetrics",
}


@cache
def rendered(directory: Path) -> tuple[Manifest, ...]:
    return tuple(render(directory))


def every_rendering() -> list[Any]:
    return [pytest.param(BASE, id="base"), pytest.param(OVERLAY, id="overlay")]


def find(manifests: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    [found] = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def pod_spec(manifest: Manifest) -> Manifest:
    spec: Manifest = manifest["spec"]["template"]["spec"]
    return spec


def environment(manifests: tuple[Manifest, ...]) -> dict[str, str]:
    """What every Taskforge container gets through envFrom."""
    config = find(manifests, "ConfigMap", "taskforge-config")["data"]
    secret = find(manifests, "Secret", "taskforge-secrets")["stringData"]
    return {**config, **secret}


def readme_settings() -> set[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize("directory", every_rendering())
def test_every_kubernetes_object_is_valid_against_the_schemas(directory: Path) -> None:
    manifests = rendered(directory)
    checked = 0
    for manifest in manifests:
        if (manifest["apiVersion"], manifest["kind"]) in CRD_KINDS:
            continue
        # strict: a field the schema does not know is an error, not ignored.
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 9


@pytest.mark.parametrize("directory", every_rendering())
def test_the_api_worker_and_scheduler_run_as_deployments_of_one_image(directory: Path) -> None:
    manifests = rendered(directory)
    commands = {
        name: containers(find(manifests, "Deployment", f"taskforge-{name}"))[0]["args"]
        for name in ("api", "worker", "scheduler")
    }
    job = find(manifests, "Job", "taskforge-migrate")

    assert commands == {
        "api": ["api"],
        "worker": ["worker", "--no-scheduler"],
        "scheduler": ["scheduler"],
    }
    assert containers(job)[0]["args"] == ["migrate", "up"]
    images = {c["image"] for m in manifests for c in containers(m)}
    assert len(images) == 1, images


def test_the_overlay_renames_the_image_and_sets_the_namespace() -> None:
    manifests = rendered(OVERLAY)

    assert {c["image"] for m in manifests for c in containers(m)} == {
        "registry.example.com/taskforge:0.1.0"
    }
    namespaced = [m for m in manifests if m["kind"] != "Namespace"]
    assert {m["metadata"].get("namespace") for m in namespaced} == {"taskforge"}


@pytest.mark.parametrize("directory", every_rendering())
def test_the_configuration_is_one_taskforge_accepts(directory: Path) -> None:
    env = environment(rendered(directory))

    settings = load_settings(env)

    assert set(env) <= readme_settings(), set(env) - readme_settings()
    assert settings.worker_consumer_name.startswith("worker-")
    assert "{hostname}" in env["WORKER_CONSUMER_NAME"]


def test_the_overlay_goes_through_pgbouncer_and_listens_on_the_primary() -> None:
    settings = load_settings(environment(rendered(OVERLAY)))

    assert settings.database_url.endswith("@pgbouncer.databases.svc:6432/taskforge")
    assert settings.direct_database_url.endswith("@postgres-primary.databases.svc:5432/taskforge")
    assert settings.postgres_statement_cache_size == 0


def test_every_api_replica_signs_dashboard_sessions_with_one_secret() -> None:
    api = find(rendered(BASE), "Deployment", "taskforge-api")
    settings = load_settings(environment(rendered(BASE)))

    assert api["spec"]["replicas"] > 1
    assert settings.ui_session_secret_set
    assert settings.ui_session_secret.startswith("example-change-me")


def test_the_secret_holds_only_example_values() -> None:
    secret = find(rendered(BASE), "Secret", "taskforge-secrets")

    assert set(secret["stringData"]) == {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "UI_SESSION_SECRET"}
    assert all(
        value == "" or value.startswith("example-change-me")
        for value in secret["stringData"].values()
    )
    config = find(rendered(BASE), "ConfigMap", "taskforge-config")["data"]
    assert not {key for key in config if "PASSWORD" in key or "SECRET" in key}


@pytest.mark.parametrize("directory", every_rendering())
def test_workers_outlive_their_shutdown_grace(directory: Path) -> None:
    manifests = rendered(directory)
    grace = parse_go_duration(environment(manifests)["WORKER_SHUTDOWN_GRACE"])
    worker = find(manifests, "Deployment", "taskforge-worker")

    assert pod_spec(worker)["terminationGracePeriodSeconds"] > grace.total_seconds()
    # The ScaledObject owns the count; a fixed one would fight it on every apply.
    assert "replicas" not in worker["spec"]


def test_the_api_probes_liveness_on_health_and_readiness_on_ready() -> None:
    [api] = containers(find(rendered(BASE), "Deployment", "taskforge-api"))

    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {p["name"]: p["containerPort"] for p in api["ports"]} == {"http": 8080}
    assert load_settings(environment(rendered(BASE))).http_port == 8080


def test_the_worker_liveness_probe_reaches_its_metrics_address() -> None:
    manifests = rendered(BASE)
    [worker] = containers(find(manifests, "Deployment", "taskforge-worker"))
    _, port = load_settings(environment(manifests)).worker_metrics_addr or ("", 0)

    assert worker["livenessProbe"]["httpGet"]["path"] == "/metrics"
    assert {p["name"]: p["containerPort"] for p in worker["ports"]} == {"metrics": port}


@pytest.mark.parametrize("directory", every_rendering())
def test_every_pod_runs_as_non_root_with_requests_and_limits(directory: Path) -> None:
    for manifest in rendered(directory):
        for container in containers(manifest):
            name = f"{manifest['kind']}/{manifest['metadata']['name']}"
            pod = manifest["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert pod["securityContext"]["runAsUser"] == 10001, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert {"cpu", "memory"} <= set(resources["limits"]), name


@pytest.mark.parametrize("directory", every_rendering())
def test_selectors_find_the_pods_they_mean(directory: Path) -> None:
    manifests = rendered(directory)

    def labels_of(component: str) -> dict[str, str]:
        labels: dict[str, str] = find(manifests, "Deployment", f"taskforge-{component}")["spec"][
            "template"
        ]["metadata"]["labels"]
        return labels

    def selects(selector: dict[str, str], component: str) -> bool:
        return selector.items() <= labels_of(component).items()

    service = find(manifests, "Service", "taskforge-api")
    assert selects(service["spec"]["selector"], "api")
    assert not selects(service["spec"]["selector"], "worker")
    for component in ("api", "worker"):
        budget = find(manifests, "PodDisruptionBudget", f"taskforge-{component}")
        assert selects(budget["spec"]["selector"]["matchLabels"], component)
        others = {"api", "worker", "scheduler"} - {component}
        assert not any(selects(budget["spec"]["selector"]["matchLabels"], o) for o in others)
    for component in ("api", "worker", "scheduler"):
        deployment = find(manifests, "Deployment", f"taskforge-{component}")
        assert selects(deployment["spec"]["selector"]["matchLabels"], component)


@pytest.mark.parametrize("directory", every_rendering())
def test_keda_scales_the_worker_deployment(directory: Path) -> None:
    scaled = find(rendered(directory), "ScaledObject", "taskforge-worker")

    assert set(scaled["spec"]) <= KEDA_SCALED_OBJECT_SPEC, set(scaled["spec"])
    assert scaled["spec"]["scaleTargetRef"] == {"name": "taskforge-worker"}
    assert 0 <= scaled["spec"]["minReplicaCount"] <= 1
    assert scaled["spec"]["maxReplicaCount"] > scaled["spec"]["minReplicaCount"]
    for trigger in scaled["spec"]["triggers"]:
        assert set(trigger) <= KEDA_TRIGGER_FIELDS, set(trigger)
        assert trigger["type"] == "redis-streams"
        unknown = set(trigger["metadata"]) - KEDA_REDIS_STREAMS_METADATA
        assert not unknown, f"{trigger['name']}: the scaler ignores {unknown}"
        # KEDA reads trigger metadata as strings only.
        assert all(isinstance(v, str) for v in trigger["metadata"].values()), trigger


@pytest.mark.parametrize("directory", every_rendering())
def test_every_queue_has_a_lag_trigger_that_activates_at_zero(directory: Path) -> None:
    manifests = rendered(directory)
    settings = load_settings(environment(manifests))
    triggers = find(manifests, "ScaledObject", "taskforge-worker")["spec"]["triggers"]
    streams = {
        queue: settings.redis_stream.replace(":normal", f":{queue}") for queue in settings.queues
    }

    def on(queue: str, has: str) -> list[dict[str, str]]:
        return [
            t["metadata"]
            for t in triggers
            if t["metadata"]["stream"] == streams[queue] and has in t["metadata"]
        ]

    assert streams["normal"] == "taskforge:queue:normal"
    for queue in settings.queues:
        [lag] = on(queue, "lagCount")
        [pending] = on(queue, "pendingEntriesCount")
        assert lag["activationLagCount"] == "0"
        assert int(lag["lagCount"]) > 0
        for metadata in (lag, pending):
            assert metadata["consumerGroup"] == settings.redis_consumer_group
            assert "streamLength" not in metadata


@pytest.mark.parametrize("directory", every_rendering())
def test_the_scaler_reads_the_workers_own_redis_address(directory: Path) -> None:
    manifests = rendered(directory)
    env = environment(manifests)
    [worker] = containers(find(manifests, "Deployment", "taskforge-worker"))
    sources = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in worker["envFrom"]}

    assert sources == {"taskforge-config", "taskforge-secrets"}
    for trigger in find(manifests, "ScaledObject", "taskforge-worker")["spec"]["triggers"]:
        for key, variable in trigger["metadata"].items():
            if key.endswith("FromEnv"):
                assert variable in env, f"{trigger['name']}: {key}={variable} is not set"
        assert trigger["metadata"]["databaseIndex"] == env["REDIS_DB"]


def test_a_misspelt_field_fails_the_schema_check() -> None:
    # The control: strict validation refuses what a cluster would drop without a word.
    api = copy.deepcopy(find(rendered(BASE), "Deployment", "taskforge-api"))
    containers(api)[0]["readinessProbe"]["httpGet"]["paht"] = "/ready"

    with pytest.raises(kubernetes_validate.ValidationError, match="paht"):
        kubernetes_validate.validate(api, KUBERNETES_VERSION, strict=True)


def test_the_renderer_refuses_a_kustomize_feature_it_does_not_apply(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: prod-\n")

    with pytest.raises(KustomizeError, match="namePrefix"):
        render(tmp_path)
