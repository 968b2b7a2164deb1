"""Pausing a queue over real HTTP, with a real worker, PostgreSQL and Redis: no job of the
paused queue starts a second after the pause, attempts already running finish, the
other queues carry on, the resume runs the backlog, and the pause outlives the run's
Redis keys. Also `taskforge queues ...` as an operator types it."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import (
    TERMINAL,
    Stack,
    running_stack,
    stack_environment,
    taskforge,
    wait_for_status,
)

PAUSE_STOPS_STARTS_WITHIN = 1.0
QUIET_WINDOW = 2.5
"""How long after the pause the test watches for starts: well beyond the second."""


@pytest_asyncio.fixture(scope="module")
async def pause_env(test_services: Services) -> dict[str, str]:
    # A stack of its own: a paused queue must not hold back the other tests' jobs. The
    # repair runs often, so the test also sees that republished jobs stay unstarted.
    settings = {**FAST_RETRIES, "REPAIR_INTERVAL": "300ms", "REPAIR_GRACE": "300ms"}
    return await stack_environment(test_services, "pause-worker", settings)


@pytest.fixture(scope="module")
def pause_stack(pause_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(pause_env) as running:
        yield running


@pytest_asyncio.fixture
async def client(pause_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pause_stack.base_url, timeout=10) as http:
        yield http


@pytest_asyncio.fixture
async def database(pause_env: dict[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(
        host=pause_env["POSTGRES_HOST"],
        port=int(pause_env["POSTGRES_PORT"]),
        user=pause_env["POSTGRES_USER"],
        password=pause_env["POSTGRES_PASSWORD"] or None,
        database=pause_env["POSTGRES_DB"],
    )
    try:
        yield conn
    finally:
        await conn.close()


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def pause(client: httpx.AsyncClient, queue: str) -> dict[str, Any]:
    response = await client.post(f"/v1/queues/{queue}/pause")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def resume(client: httpx.AsyncClient, queue: str) -> dict[str, Any]:
    response = await client.post(f"/v1/queues/{queue}/resume")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def queue_state(client: httpx.AsyncClient, queue: str) -> dict[str, Any]:
    response = await client.get("/v1/queues")
    assert response.status_code == 200, response.text
    [state] = [q for q in response.json()["queues"] if q["queue"] == queue]
    return dict(state)


async def last_start(database: asyncpg.Connection, queue: str) -> datetime | None:
    started: datetime | None = await database.fetchval(
        "SELECT max(started_at) FROM jobs WHERE queue = $1", queue
    )
    return started


async def until(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not within {within}s")


async def submit_steadily(client: httpx.AsyncClient, queue: str, ids: list[str]) -> None:
    while True:
        ids.append(
            await submit(client, {"job_type": "add", "payload": {"numbers": [1]}, "queue": queue})
        )
        await asyncio.sleep(0.01)


async def test_a_paused_queue_starts_nothing_a_second_after_the_pause_and_resumes(
    client: httpx.AsyncClient, database: asyncpg.Connection, pause_stack: Stack
) -> None:
    long_running = [
        await submit(client, {"job_type": "wait", "payload": {"seconds": 2}, "queue": "low"})
        for _ in range(2)
    ]
    for job_id in long_running:
        await wait_for_status(client, job_id, frozenset({"running"}), within=10)
    submitted: list[str] = []
    submitting = asyncio.create_task(submit_steadily(client, "low", submitted))
    await asyncio.sleep(0.5)

    paused = await pause(client, "low")
    paused_at = datetime.fromisoformat(paused["paused_at"])
    await asyncio.sleep(1.5)
    submitting.cancel()
    other_queue = await submit(client, {"job_type": "add", "payload": {"numbers": [2]}})
    await asyncio.sleep(QUIET_WINDOW - 1.5)

    start = await last_start(database, "low")
    assert start is not None
    pause_to_last_start = (start - paused_at).total_seconds()
    print(f"pause to the last start of the paused queue: {pause_to_last_start:.3f}s")
    assert pause_to_last_start < PAUSE_STOPS_STARTS_WITHIN
    waiting = await database.fetchval(
        "SELECT count(*) FROM jobs WHERE queue = 'low' AND status IN ('pending', 'queued')"
    )
    assert waiting > 0, "jobs kept coming after the pause and were accepted"
    assert (await wait_for_status(client, other_queue))["status"] == "completed"
    for job_id in long_running:
        assert (await wait_for_status(client, job_id, within=10))["status"] == "completed"
    state = await queue_state(client, "low")
    assert state["paused"] is True
    assert state["depth"] == waiting
    assert state["running"] == 0
    assert state["weights"] == [
        {"configuration": "high:6,normal:3,low:1", "weight": 1, "workers": 1}
    ]
    assert await last_start(database, "low") == start, "nothing started while we looked"

    resumed = await resume(client, "low")

    assert resumed == {**resumed, "paused": False, "changed": True}
    for job_id in submitted:
        assert (await wait_for_status(client, job_id, TERMINAL, within=20))["status"] == "completed"
    assert (await queue_state(client, "low"))["depth"] == 0


async def test_a_pause_outlives_the_loss_of_every_redis_key_of_the_stack(
    client: httpx.AsyncClient,
    database: asyncpg.Connection,
    pause_env: dict[str, str],
    test_services: Services,
) -> None:
    before = [
        await submit(client, {"job_type": "add", "payload": {"numbers": [3]}, "queue": "low"})
        for _ in range(3)
    ]
    for job_id in before:
        await wait_for_status(client, job_id)
    await pause(client, "low")
    # Past the second within which the workers stop starting the queue's jobs.
    await asyncio.sleep(PAUSE_STOPS_STARTS_WITHIN)
    queued_before_loss = [
        await submit(client, {"job_type": "add", "payload": {"numbers": [4]}, "queue": "low"})
        for _ in range(5)
    ]
    start_before = await last_start(database, "low")

    # Only this stack's keys: every one starts with the name its streams are built on.
    prefix = pause_env["REDIS_STREAM"].removesuffix(":queue:normal")
    redis = aioredis.from_url(test_services.redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        assert keys
        await redis.delete(*keys)
    finally:
        await redis.aclose()
    after_loss = [
        await submit(client, {"job_type": "add", "payload": {"numbers": [5]}, "queue": "low"})
        for _ in range(5)
    ]
    normal_job = await submit(client, {"job_type": "add", "payload": {"numbers": [6]}})
    # The worker recreates its streams and the repair republishes the lost messages.
    assert (await wait_for_status(client, normal_job))["status"] == "completed"
    await asyncio.sleep(QUIET_WINDOW)

    assert (await queue_state(client, "low"))["paused"] is True
    assert await last_start(database, "low") == start_before
    statuses = await database.fetch(
        "SELECT DISTINCT status FROM jobs WHERE id = ANY($1::uuid[])",
        [*queued_before_loss, *after_loss],
    )
    assert {row["status"] for row in statuses} <= {"pending", "queued"}

    await resume(client, "low")

    for job_id in [*queued_before_loss, *after_loss]:
        assert (await wait_for_status(client, job_id, within=20))["status"] == "completed"


def cli_json(result: Any) -> Any:
    assert result.returncode == 0, result.stderr
    return msgspec.json.decode(result.stdout)


async def test_the_cli_lists_pauses_and_resumes_queues_on_the_audit_trail(
    client: httpx.AsyncClient, pause_env: dict[str, str], pause_stack: Stack
) -> None:
    paused = cli_json(taskforge("queues", "pause", "high", "--json", env=pause_env))
    again = taskforge("queues", "pause", "high", env=pause_env)
    listed = cli_json(taskforge("queues", "list", "--json", env=pause_env))
    table = taskforge("queues", "list", env=pause_env)
    job_id = await submit(client, {"job_type": "add", "payload": {"numbers": [7]}, "queue": "high"})
    resumed = taskforge("queues", "resume", "high", env=pause_env)
    unknown = taskforge("queues", "pause", "urgent", env=pause_env)
    audit = cli_json(taskforge("audit", "list", "--action", "queue.pause", "--json", env=pause_env))

    assert paused["paused"] is True
    assert paused["changed"] is True
    assert paused["paused_by"].startswith("cli:")
    assert again.returncode == 0
    assert "queue high already paused since" in again.stdout
    assert [q["queue"] for q in listed["queues"]] == ["high", "normal", "low"]
    assert [q["paused"] for q in listed["queues"]] == [True, False, False]
    assert table.stdout.splitlines()[0].split()[:4] == ["QUEUE", "DEPTH", "RUNNING", "OLDEST"]
    assert resumed.returncode == 0
    assert resumed.stdout.strip() == "queue high resumed: workers start its jobs"
    assert (await wait_for_status(client, job_id))["status"] == "completed"
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "taskforge queues pause: no queue named 'urgent'; the queues are high, normal, low"
    )
    entries = [e for e in audit["entries"] if e["details"]["queue"] == "high"]
    assert len(entries) == 1
    assert entries[0]["actor"] == paused["paused_by"]
