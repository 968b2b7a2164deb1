"""The relay of jobs enqueued in SQL through its faults: killed between publishing a
batch and marking it, and a PostgreSQL restart under it."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio

from tests.faults.crash_before_relay_mark import CRASH_EXIT_CODE, CRASHING_RELAY_ENTRY
from tests.faults.harness import FaultStack, create_database
from tests.faults.private_services import PrivatePostgres, PrivateRedis

JOBS = 20


async def enqueue_in_one_transaction(stack: FaultStack, count: int) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        async with conn.transaction():
            for _ in range(count):
                await conn.fetchval("SELECT taskforge_enqueue('record', '{\"ms\": 10}')")
    finally:
        await conn.close()


async def waiting_for_relay(stack: FaultStack) -> int:
    conn = await asyncpg.connect(stack.database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM job_enqueue_relay")
    finally:
        await conn.close()
    return count


def messages_on_stream(stack: FaultStack) -> int:
    with stack.redis.client() as client:
        return int(client.xlen("taskforge:queue:normal"))


async def test_relay_killed_between_publish_and_mark_loses_nothing_and_runs_nothing_twice(
    stack: FaultStack,
) -> None:
    stack.start("api", "api")
    crashing = stack.start("scheduler", "scheduler", entry=CRASHING_RELAY_ENTRY)
    await stack.wait_for_log(crashing, "relaying jobs enqueued in SQL", 1)

    await enqueue_in_one_transaction(stack, JOBS)

    assert crashing.wait_exit() == CRASH_EXIT_CODE
    assert messages_on_stream(stack) == JOBS, "the batch was published before the crash"
    assert await stack.counts() == {"pending": JOBS}
    assert await waiting_for_relay(stack) == JOBS

    stack.start("scheduler", "scheduler")
    deadline = time.monotonic() + 30
    while await waiting_for_relay(stack) or await stack.counts() != {"queued": JOBS}:
        assert time.monotonic() < deadline, stack.logs()
        await asyncio.sleep(0.05)
    # Published twice, once by each relay: the worker's claim must run each job once.
    assert messages_on_stream(stack) == 2 * JOBS

    stack.start("worker1", "worker")
    await stack.settle(within=30)

    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == report.completed == JOBS
    assert len(await stack.started_attempts()) == JOBS


@pytest_asyncio.fixture
async def stack_on_private_postgres(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> AsyncIterator[FaultStack]:
    deployment = FaultStack(
        await create_database(private_postgres.admin_url), private_redis, tmp_path
    )
    yield deployment
    deployment.stop_all()


async def test_the_relay_listens_again_after_a_postgres_restart_and_catches_up(
    stack_on_private_postgres: FaultStack, private_postgres: PrivatePostgres
) -> None:
    stack = stack_on_private_postgres
    stack.start_default(workers=1)
    scheduler = stack.processes["scheduler"]
    await stack.wait_for_log(scheduler, "relaying jobs enqueued in SQL", 1)
    await enqueue_in_one_transaction(stack, JOBS)
    await stack.settle(within=30)

    private_postgres.stop()
    await stack.wait_for_log(scheduler, "relay of jobs enqueued in SQL interrupted", 1)
    private_postgres.start()
    await stack.wait_for_log(scheduler, "relaying jobs enqueued in SQL", 2, within=60)
    await enqueue_in_one_transaction(stack, JOBS)
    await stack.settle(within=60)

    assert all(process.popen.poll() is None for process in stack.processes.values()), stack.logs()
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == report.completed == 2 * JOBS
    assert await waiting_for_relay(stack) == 0
