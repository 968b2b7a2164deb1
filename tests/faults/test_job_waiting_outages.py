"""The API's one listening connection outlives a PostgreSQL restart: waiters that were
waiting through it are answered, and new ones are woken by notices again."""

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.faults.harness import FaultStack, create_database
from tests.faults.private_services import PrivatePostgres, PrivateRedis


@pytest_asyncio.fixture
async def stack_on_private_postgres(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path
) -> AsyncIterator[FaultStack]:  # type: ignore[no-untyped-def]
    deployment = FaultStack(
        await create_database(private_postgres.admin_url), private_redis, tmp_path
    )
    yield deployment
    deployment.stop_all()


async def submitted(client: httpx.AsyncClient, ms: int) -> str:
    response = await client.post("/v1/jobs", json={"job_type": "record", "payload": {"ms": ms}})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def long_poll(client: httpx.AsyncClient, job_id: str, seconds: int) -> httpx.Response:
    while True:
        response = await client.get(f"/v1/jobs/{job_id}", params={"wait": str(seconds)})
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.2)


async def test_waiters_are_woken_after_postgres_restarts(
    stack_on_private_postgres: FaultStack, private_postgres: PrivatePostgres
) -> None:
    stack = stack_on_private_postgres
    stack.start_default(workers=1)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=90) as client:
        through_outage = await submitted(client, ms=3000)
        await stack.wait_for_attempt_start(through_outage, 1)
        waiting = asyncio.create_task(long_poll(client, through_outage, 60))

        private_postgres.stop()
        await asyncio.sleep(1)
        private_postgres.start()
        outcome = await asyncio.wait_for(waiting, 45)
        after = await submitted(client, ms=200)
        started = time.monotonic()
        answered = await long_poll(client, after, 30)
        took = time.monotonic() - started

    assert outcome.status_code == 200, stack.logs()
    assert outcome.json()["status"] == "completed", (outcome.json(), stack.logs())
    assert answered.json()["status"] == "completed", stack.logs()
    # Woken by a notice: a waiter left to its deadline would take the full 30 s.
    assert took < 10, (took, stack.logs())
