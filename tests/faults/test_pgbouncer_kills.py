"""Workers killed mid-job while every pooled statement goes through PgBouncer in
transaction pooling mode: a transaction cut off with its client must not strand a
server connection, and every job still ends with no attempt run twice."""

import asyncio
import random
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Services
from tests.faults.harness import FaultStack, new_key
from tests.pgbouncer import PgBouncer

JOBS = 300


@pytest.fixture
def bouncer(test_services: Services) -> Iterator[PgBouncer]:
    user = urlsplit(test_services.admin_url).username or "postgres"
    pgbouncer = PgBouncer(test_services.admin_url, users=[user])
    yield pgbouncer
    pgbouncer.stop()


def behind(bouncer: PgBouncer, stack: FaultStack) -> None:
    server = urlsplit(stack.database_url)
    stack.overrides.update(
        POSTGRES_HOST="127.0.0.1",
        POSTGRES_PORT=str(bouncer.port),
        POSTGRES_DIRECT_HOST=server.hostname or "127.0.0.1",
        POSTGRES_DIRECT_PORT=str(server.port or 5432),
    )


@pytest.mark.parametrize("seed", [20261201])
async def test_sigkill_of_workers_behind_pgbouncer_loses_nothing(
    stack: FaultStack, bouncer: PgBouncer, seed: int
) -> None:
    chance = random.Random(seed)
    behind(bouncer, stack)
    stack.start_default(workers=2)
    database = urlsplit(stack.database_url).path.lstrip("/")

    accepted = await stack.submit(JOBS, lambda _: {"ms": chance.randint(20, 300)})
    for _ in range(3):
        victim = await stack.worker_running_an_attempt()
        await asyncio.sleep(chance.uniform(0.0, 0.01))
        stack.kill(victim)
        stack.start(victim, "worker")

    assert all(response.status_code == 202 for response in accepted)
    await stack.settle(within=120)
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == JOBS
    assert report.interrupted > 0, "no kill landed mid-attempt; the scenario proved nothing"
    # Each job's insert, queued mark, claim and outcome went through PgBouncer.
    await bouncer.wait_for_transactions(database, at_least=JOBS)
    assert "prepared statement" not in stack.logs()


async def submit_until_accepted(stack: FaultStack, count: int, within: float = 30) -> list[str]:
    """As a client that honours 503 + Retry-After would: each job is posted again until
    accepted, with an Idempotency-Key so that a retry never makes a second job."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
        for _ in range(count):
            key = new_key()
            deadline = time.monotonic() + within
            while True:
                response = await client.post(
                    "/v1/jobs",
                    json={"job_type": "record", "payload": {"ms": 20}},
                    headers={"Idempotency-Key": key},
                )
                if response.status_code in (200, 202):
                    ids.append(response.json()["id"])
                    break
                assert response.status_code == 503, response.text
                assert time.monotonic() < deadline, f"still refused after {within}s"
                await asyncio.sleep(0.1)
    return ids


async def test_pgbouncer_killed_mid_run_loses_nothing(
    stack: FaultStack, bouncer: PgBouncer
) -> None:
    behind(bouncer, stack)
    stack.start_default(workers=2)
    accepted = await stack.submit(JOBS, lambda index: {"ms": 20 + index % 200})
    await stack.wait_for_status_count("completed", at_least=JOBS // 5)
    unfinished_at_the_crash = JOBS - (await stack.counts()).get("completed", 0)

    bouncer.crash_and_restart()
    after = await submit_until_accepted(stack, 20)

    assert all(response.status_code == 202 for response in accepted)
    await stack.settle(within=120)
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == JOBS + len(set(after))
    assert unfinished_at_the_crash > 0, "the crash came after the run; it proved nothing"
