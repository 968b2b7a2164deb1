"""GET /metrics on the API and on a worker, and JSON logs, as Prometheus and operators see them."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES, MAX_ATTEMPTS, Stack
from tests.e2e.processes import TaskforgeProcess, free_port, wait_for_status, wait_until_ready

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

WAITING_BY_QUEUE = {"high": 3, "normal": 5, "low": 1}
WAITING_PINGS = sum(WAITING_BY_QUEUE.values())
WORKER_NAME = "metrics-worker"


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, url: str = "/metrics") -> Samples:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def test_api_metrics_count_submissions_by_job_type_and_requests_by_route(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    before = await scrape(client)

    pings = [(await client.post("/v1/jobs", json={"job_type": "ping"})).json() for _ in range(3)]
    failing = (await client.post("/v1/jobs", json={"job_type": "fail"})).json()
    await client.get(f"/v1/jobs/{pings[0]['id']}")
    await wait_for_status(client, failing["id"])
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("taskforge_jobs_submitted_total", job_type="ping") == 3
    assert grew("taskforge_jobs_submitted_total", job_type="fail") == 1
    assert grew("taskforge_http_requests_total", method="POST", route="/v1/jobs", status="202") == 4
    by_template = {"method": "GET", "route": "/v1/jobs/{job_id}", "status": "200"}
    assert grew("taskforge_http_requests_total", **by_template) >= 2
    assert (
        grew("taskforge_http_request_duration_seconds_count", method="POST", route="/v1/jobs") == 4
    )
    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(pings[0]["id"] in (route or "") for route in routes), routes
    assert ("taskforge_queue_depth", frozenset({("queue", "normal")})) in after
    assert ("taskforge_oldest_ready_job_age_seconds", frozenset({("queue", "normal")})) in after
    stream = frozenset({("queue", "normal"), ("stream", stack.env["REDIS_STREAM"])})
    assert ("taskforge_stream_pending_entries", stream) in after


async def test_metrics_endpoint_is_left_out_of_the_openapi_schema(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/docs/openapi.json")).json()

    assert "/metrics" not in schema["paths"]


@dataclass
class MetricsRun:
    """What a private api and worker showed while jobs waited, then ran."""

    api_while_waiting: Samples
    api_after: Samples
    worker: Samples
    worker_log: str
    fail_job_id: str
    normal_stream: str


@pytest_asyncio.fixture(scope="module")
async def metrics_run(test_services: Services) -> AsyncIterator[MetricsRun]:
    """An api on a database of its own: jobs wait while no worker runs; then a worker with
    WORKER_METRICS_ADDR and LOG_FORMAT=json runs them."""
    api_port, metrics_port = free_port(), free_port()
    env = test_services.environment(
        await test_services.create_database(),
        HTTP_ADDR=f"127.0.0.1:{api_port}",
        HTTP_BASE_URL=f"http://127.0.0.1:{api_port}",
        WORKER_CONSUMER_NAME=WORKER_NAME,
        **FAST_RETRIES,
    )
    base_url = env["HTTP_BASE_URL"]
    api = TaskforgeProcess(["api"], env)
    worker: TaskforgeProcess | None = None
    try:
        wait_until_ready(base_url, api)
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            ids = [
                (await client.post("/v1/jobs", json={"job_type": "ping", "queue": queue})).json()[
                    "id"
                ]
                for queue, count in WAITING_BY_QUEUE.items()
                for _ in range(count)
            ]
            await asyncio.sleep(0.3)
            api_while_waiting = await scrape(client)

            worker = TaskforgeProcess(
                ["worker"],
                {
                    **env,
                    "WORKER_METRICS_ADDR": f"127.0.0.1:{metrics_port}",
                    "LOG_FORMAT": "json",
                },
            )
            fail_id = (
                await client.post("/v1/jobs", json={"job_type": "ping", "payload": {"fail": True}})
            ).json()["id"]
            for job_id in [*ids, fail_id]:
                await wait_for_status(client, job_id)
            worker_samples = await _scrape_until(
                f"http://127.0.0.1:{metrics_port}/metrics",
                lambda samples: (
                    value(samples, "taskforge_jobs_finished_total", job_type="ping", outcome="dead")
                    == 1
                ),
            )
            api_after = await scrape(client)
        assert worker.stop() == 0, worker.log
        yield MetricsRun(
            api_while_waiting, api_after, worker_samples, worker.log, fail_id, env["REDIS_STREAM"]
        )
    finally:
        if worker is not None:
            worker.stop()
        api.stop()


async def _scrape_until(url: str, done: Callable[[Samples], bool], within: float = 10) -> Samples:
    deadline = time.monotonic() + within
    samples: Samples = {}
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                samples = await scrape(client, url)
            except httpx.TransportError:
                samples = {}
            if samples and done(samples):
                return samples
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never showed what was expected; last scrape: {samples}")


def test_queue_depth_and_oldest_age_show_jobs_waiting_for_a_worker(
    metrics_run: MetricsRun,
) -> None:
    waiting, after = metrics_run.api_while_waiting, metrics_run.api_after

    for queue, count in WAITING_BY_QUEUE.items():
        assert value(waiting, "taskforge_queue_depth", queue=queue) == count
        assert value(waiting, "taskforge_oldest_ready_job_age_seconds", queue=queue) >= 0.3
        assert ("taskforge_queue_depth", frozenset({("queue", queue)})) in after
        assert value(after, "taskforge_queue_depth", queue=queue) == 0
        assert value(after, "taskforge_oldest_ready_job_age_seconds", queue=queue) == 0


def test_pending_entries_are_reported_for_every_queue_stream(metrics_run: MetricsRun) -> None:
    pending = {
        dict(labels)["queue"]: (dict(labels)["stream"], sample)
        for (name, labels), sample in metrics_run.api_after.items()
        if name == "taskforge_stream_pending_entries"
    }

    prefix = metrics_run.normal_stream.removesuffix(":normal")
    assert pending == {queue: (f"{prefix}:{queue}", 0) for queue in WAITING_BY_QUEUE}


def test_worker_metrics_count_outcomes_by_job_type(metrics_run: MetricsRun) -> None:
    worker = metrics_run.worker

    assert value(worker, "taskforge_jobs_finished_total", job_type="ping", outcome="completed") == (
        WAITING_PINGS
    )
    assert value(worker, "taskforge_jobs_finished_total", job_type="ping", outcome="retrying") == (
        MAX_ATTEMPTS - 1
    )
    assert value(worker, "taskforge_jobs_finished_total", job_type="ping", outcome="dead") == 1
    assert value(worker, "taskforge_fenced_outcomes_total") == 0


def test_worker_metrics_time_every_handler_run(metrics_run: MetricsRun) -> None:
    worker = metrics_run.worker
    attempts = WAITING_PINGS + MAX_ATTEMPTS

    assert value(worker, "taskforge_handler_duration_seconds_count", job_type="ping") == attempts
    assert value(
        worker, "taskforge_handler_duration_seconds_bucket", job_type="ping", le="+Inf"
    ) == (attempts)
    assert 0 < value(worker, "taskforge_handler_duration_seconds_sum", job_type="ping") < 5


def test_json_worker_logs_carry_the_job_fields_of_a_retried_job(metrics_run: MetricsRun) -> None:
    lines = [line for line in metrics_run.worker_log.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    about_the_job = [r for r in records if r.get("job_id") == metrics_run.fail_job_id]
    outcomes = [r for r in about_the_job if r["logger"] == "taskforge.worker"]

    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert all(r["time"].endswith("Z") for r in records)
    assert [(r["attempt"], r["level"]) for r in outcomes] == [
        *((attempt, "INFO") for attempt in range(1, MAX_ATTEMPTS + 1))
    ]
    assert all(r["job_type"] == "ping" and r["worker"] == WORKER_NAME for r in about_the_job)
    assert "retrying" in outcomes[0]["message"]
    assert "dead" in outcomes[-1]["message"]
    handler_lines = [r for r in about_the_job if r["logger"] == "taskforge.handlers"]
    assert len(handler_lines) == MAX_ATTEMPTS
