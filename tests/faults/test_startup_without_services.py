"""Processes started before PostgreSQL or Redis answer: they serve what they can, wait
for the rest, and carry on when it comes, with no restart."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.e2e.processes import TaskforgeProcess, wait_until_ready
from tests.faults.harness import FaultStack, create_database
from tests.faults.private_services import PrivatePostgres, PrivateRedis

WAITING_FOR_MIGRATIONS = "applying migrations: waiting"


@pytest_asyncio.fixture
async def stack_before_postgres(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path
) -> AsyncIterator[FaultStack]:  # type: ignore[no-untyped-def]
    """A deployment whose database exists on a PostgreSQL that is stopped before any
    process starts."""
    deployment = FaultStack(
        await create_database(private_postgres.admin_url), private_redis, tmp_path
    )
    private_postgres.stop()
    yield deployment
    deployment.stop_all()


async def job_operations(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document under /v1, with its path filled in."""
    document = (await client.get("/docs/openapi.json")).json()
    some_id = str(uuid.uuid4())
    return [
        (method.upper(), path.replace("{job_id}", some_id))
        for path, operations in document["paths"].items()
        if path.startswith("/v1/")
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def answers_without_postgres(base_url: str) -> dict[str, httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        answers = {
            "health": await client.get("/health"),
            "ready": await client.get("/ready"),
            "options": await client.options("/v1/jobs"),
        }
        for method, path in await job_operations(client):
            answers[f"{method} {path}"] = await client.request(
                method, path, json={"job_type": "record", "payload": {}}
            )
    return answers


async def wait_until_ready_for_jobs(base_url: str, within: float = 30) -> httpx.Response:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        while True:
            ready = await client.get("/ready")
            if ready.status_code == 200 or time.monotonic() > deadline:
                return ready
            await asyncio.sleep(0.1)


def assert_postgres_missing(answers: dict[str, httpx.Response]) -> None:
    assert answers["health"].status_code == 200
    ready = answers["ready"]
    assert ready.status_code == 503
    assert "postgres" in ready.json()["status"]
    assert ready.json()["checks"]["postgres"].startswith("failing: PostgreSQL unavailable")
    # Listing a route's methods needs no job store.
    assert answers["options"].status_code == 204
    assert "POST" in answers["options"].headers["allow"]
    jobs = {name: r for name, r in answers.items() if name.partition(" ")[2].startswith("/v1/")}
    assert "POST /v1/jobs" in jobs
    assert {name: r.status_code for name, r in jobs.items()} == dict.fromkeys(jobs, 503)
    assert all(r.headers.get("retry-after") for r in jobs.values())
    assert all(r.json()["code"] == "store-unavailable" for r in jobs.values())


async def test_api_and_worker_started_before_postgres_serve_once_it_answers(
    stack_before_postgres: FaultStack, private_postgres: PrivatePostgres
) -> None:
    stack = stack_before_postgres
    stack.start_default(workers=1, for_jobs=False)
    pids = {name: process.popen.pid for name, process in stack.processes.items()}

    before = await answers_without_postgres(stack.base_url)
    for name in ("worker1", "scheduler"):
        await stack.wait_for_log(stack.processes[name], WAITING_FOR_MIGRATIONS, 1)
    private_postgres.start()
    ready = await wait_until_ready_for_jobs(stack.base_url)
    submitted = await stack.submit(100, lambda i: {"ms": 10 + i % 50})
    await stack.settle(within=60)

    assert_postgres_missing(before)
    assert ready.status_code == 200, (ready.text, stack.logs())
    assert all(r.status_code == 202 for r in submitted)
    report = await stack.report()
    report.assert_invariant()
    assert report.completed == 100
    assert {name: p.popen.pid for name, p in stack.processes.items()} == pids
    assert all(p.popen.poll() is None for p in stack.processes.values()), stack.logs()
    logs = [process.log for process in stack.processes.values()]
    # Seconds of retries before PostgreSQL came, one line about them in each process.
    assert all(log.count(WAITING_FOR_MIGRATIONS) == 1 for log in logs), stack.logs()
    assert all("PostgreSQL ready, its schema up to date" in log for log in logs)
    # The migrations ran once, under the advisory lock, whoever won it.
    assert sum("up to date (applied 1, " in log for log in logs) == 1, stack.logs()


async def test_run_started_before_postgres_serves_once_it_answers(
    stack_before_postgres: FaultStack, private_postgres: PrivatePostgres
) -> None:
    stack = stack_before_postgres
    everything = TaskforgeProcess(["run"], stack.env(WORKER_CONSUMER_NAME="run-{pid}"))
    stack.processes["run"] = everything
    wait_until_ready(stack.base_url, everything, for_jobs=False)

    before = await answers_without_postgres(stack.base_url)
    await stack.wait_for_log(everything, WAITING_FOR_MIGRATIONS, 3)
    private_postgres.start()
    ready = await wait_until_ready_for_jobs(stack.base_url)
    submitted = await stack.submit(30, lambda _: {"ms": 10})
    await stack.settle(within=60)

    assert_postgres_missing(before)
    assert ready.status_code == 200, (ready.text, stack.logs())
    assert all(r.status_code == 202 for r in submitted)
    assert (await stack.report()).completed == 30
    assert everything.popen.poll() is None, stack.logs()
    # The api, the worker and the scheduler each waited, each said so once.
    assert everything.log.count(WAITING_FOR_MIGRATIONS) == 3, everything.log


async def test_api_and_worker_started_before_redis_accept_jobs_and_deliver_them_later(
    stack: FaultStack,
) -> None:
    stack.redis.stop()
    stack.start_default(workers=1)

    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
        deadline = time.monotonic() + 30
        while (ready := await client.get("/ready")).json()["checks"]["postgres"] != "ok":
            assert time.monotonic() < deadline, ready.text
            await asyncio.sleep(0.1)
        accepted = await stack.submit(20, lambda _: {"ms": 10})
        stored = [(await client.get(f"/v1/jobs/{r.json()['id']}")).json() for r in accepted]
    stack.redis.start()
    await stack.settle(within=60)

    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"].startswith("failing")
    assert [r.status_code for r in accepted] == [202] * 20
    assert {r.json()["status"] for r in accepted} == {"pending"}
    assert {job["status"] for job in stored} == {"pending"}
    report = await stack.report()
    report.assert_invariant()
    assert report.completed == 20
    assert all(p.popen.poll() is None for p in stack.processes.values()), stack.logs()
