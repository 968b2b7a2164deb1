"""Redis loses everything, or PostgreSQL goes away, in the middle of a run."""

import asyncio
import math
import random
import time
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.faults.harness import FaultStack, create_database
from tests.faults.private_services import PrivatePostgres, PrivateRedis


def short_jobs(seed: int):  # type: ignore[no-untyped-def]
    chance = random.Random(seed)
    return lambda _: {"ms": chance.randint(10, 150)}


async def test_redis_flushall_mid_run_loses_no_job(stack: FaultStack) -> None:
    stack.start_default(workers=2)
    first = await stack.submit(200, short_jobs(1))

    stack.redis.flushall()
    flushed_at = time.time()
    second = await stack.submit(100, short_jobs(2))
    await stack.settle(within=60)

    assert all(r.status_code == 202 for r in first + second)
    report = await stack.report(letters_since=flushed_at)
    report.assert_invariant()
    assert report.jobs == 300


async def test_redis_restart_without_persistence_mid_run_loses_no_job(stack: FaultStack) -> None:
    stack.start_default(workers=2)
    first = await stack.submit(200, short_jobs(3))

    stack.redis.restart()
    restarted_at = time.time()
    second = await stack.submit(100, short_jobs(4))
    await stack.settle(within=60)

    assert all(r.status_code == 202 for r in first + second)
    report = await stack.report(letters_since=restarted_at)
    report.assert_invariant()
    assert report.jobs == 300


@pytest_asyncio.fixture
async def stack_on_private_postgres(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path
) -> AsyncIterator[FaultStack]:  # type: ignore[no-untyped-def]
    deployment = FaultStack(
        await create_database(private_postgres.admin_url), private_redis, tmp_path
    )
    yield deployment
    deployment.stop_all()


async def test_postgres_restart_mid_run_gives_503_then_loses_nothing(
    stack_on_private_postgres: FaultStack, private_postgres: PrivatePostgres
) -> None:
    stack = stack_on_private_postgres
    stack.start_default(workers=2)
    first = await stack.submit(150, short_jobs(5))

    private_postgres.stop()
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        during = await client.post("/v1/jobs", json={"job_type": "record", "payload": {}})
        ready = await client.get("/ready")
    await asyncio.sleep(1.5)
    private_postgres.start()
    second = await stack.submit(50, short_jobs(6))
    await stack.settle(within=90)

    assert during.status_code == 503
    assert during.headers["retry-after"]
    assert during.json()["code"] == "store-unavailable"
    assert ready.status_code == 503
    assert "postgres" in ready.json()["status"]
    assert all(process.popen.poll() is None for process in stack.processes.values()), stack.logs()
    assert all(r.status_code == 202 for r in first + second)
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == 200


async def test_a_worker_cut_off_from_postgres_stops_its_handlers_before_their_leases_run_out(
    stack_on_private_postgres: FaultStack, private_postgres: PrivatePostgres
) -> None:
    stack = stack_on_private_postgres
    lease = 3.0
    stack.start("api", "api")
    stack.start("scheduler", "scheduler")
    stack.start("worker1", "worker", WORKER_LEASE=f"{lease:g}s")
    accepted = await stack.submit(3, lambda _: {"ms": 4 * lease * 1000})
    ids = {response.json()["id"] for response in accepted}
    for job_id in ids:
        await stack.wait_for_attempt_start(job_id, 1)

    private_postgres.stop()
    cut_off_at = time.time()
    deadline = time.monotonic() + 2 * lease
    while True:
        first = [run for run in await stack.started_attempts() if run.attempt == 1]
        if all(run.ended != math.inf for run in first):
            break
        assert time.monotonic() < deadline, f"handlers ran on without a lease\n{stack.logs()}"
        await asyncio.sleep(0.05)
    private_postgres.start()
    await stack.settle(within=60)

    # No renewal reached PostgreSQL after it stopped, so no lease reached past then.
    assert all(run.ended < cut_off_at + lease for run in first), (first, cut_off_at)
    assert "its lease was not confirmed in time" in stack.processes["worker1"].log
    report = await stack.report()
    report.assert_invariant()
    assert report.completed == 3


async def test_streams_hold_only_unprocessed_entries_over_twenty_thousand_jobs(
    stack: FaultStack,
) -> None:
    stack.start_default(workers=2)
    samples: list[tuple[int, int]] = []
    with stack.redis.client() as client:
        for _ in range(20):
            await stack.enqueue_directly(1_000)
            await asyncio.sleep(0.5)
            counts = await stack.counts()
            unfinished = sum(n for status, n in counts.items() if status != "completed")
            samples.append((client.xlen("taskforge:queue:normal"), unfinished))
        await stack.settle(within=120)
        remaining = client.xlen("taskforge:queue:normal")

    assert await stack.counts() == {"completed": 20_000}
    assert remaining == 0
    # An entry outlives its job's completion only while the worker's ack is in flight.
    acks_in_flight = 2 * int(stack.env()["WORKER_CONCURRENCY"])
    assert all(length <= unfinished + acks_in_flight for length, unfinished in samples), samples
    assert max(length for length, _ in samples) < 20_000
