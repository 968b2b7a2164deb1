"""Crashes between the PostgreSQL write and the XADD that follows it: PostgreSQL is the
record and Redis only delivers, so a job committed but never published must still run, once."""

import uuid

import httpx
import pytest

from tests.faults.crash_before_publish import CRASH_EXIT_CODE, CRASHING_ENTRY
from tests.faults.harness import FaultStack


async def test_api_crash_between_insert_and_xadd_leaves_a_job_the_repair_delivers(
    stack: FaultStack,
) -> None:
    stack.start("scheduler", "scheduler")
    stack.start("worker1", "worker")
    crashing_api = stack.start("api", "api", entry=CRASHING_ENTRY)

    with pytest.raises(httpx.TransportError):
        await stack.submit(1, lambda _: {"ms": 10})
    assert crashing_api.wait_exit() == CRASH_EXIT_CODE
    assert await stack.counts() == {"pending": 1}

    stack.start("api", "api")
    accepted = await stack.submit(20, lambda _: {"ms": 10})
    await stack.settle(within=30)

    assert all(response.status_code == 202 for response in accepted)
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == report.completed == 21


async def test_scheduler_crash_between_promote_and_xadd_leaves_a_job_the_repair_delivers(
    stack: FaultStack,
) -> None:
    stack.start("api", "api")
    stack.start("worker1", "worker")
    crashing = stack.start("scheduler", "scheduler", entry=CRASHING_ENTRY)

    [response] = await stack.submit(1, lambda _: {"ms": 10, "fail_attempts": 1})
    assert crashing.wait_exit() == CRASH_EXIT_CODE
    assert await stack.counts() == {"queued": 1}

    stack.start("scheduler", "scheduler")
    await stack.settle(within=30)

    job = await stack.job(response.json()["id"])
    assert job["status"] == "completed"
    assert job["attempt"] == 2
    (await stack.report()).assert_invariant()


async def test_two_hundred_concurrent_submits_over_twenty_keys_make_twenty_jobs(
    stack: FaultStack,
) -> None:
    stack.start_default(workers=1)
    keys = [f"storm-{uuid.uuid4()}" for _ in range(20)]

    responses = await stack.submit(
        200, lambda _: {"ms": 1}, key=lambda i: keys[i % 20], concurrency=200
    )
    await stack.settle(within=30)

    assert sum(response.status_code == 202 for response in responses) == 20
    assert sum(response.status_code == 200 for response in responses) == 180
    ids_by_key: dict[str, set[str]] = {}
    for index, response in enumerate(responses):
        ids_by_key.setdefault(keys[index % 20], set()).add(response.json()["id"])
    assert all(len(ids) == 1 for ids in ids_by_key.values())
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == 20


async def test_a_large_healthy_backlog_is_not_republished_by_the_repair(stack: FaultStack) -> None:
    stack.overrides.update({"REPAIR_GRACE": "100ms", "REPAIR_INTERVAL": "200ms"})
    backlog = await stack.enqueue_directly(10_000)
    scheduler = stack.start("scheduler", "scheduler", LOG_LEVEL="DEBUG")

    await stack.wait_for_log(scheduler, "waiting jobs checked against 10000 on the stream", 5)

    with stack.redis.client() as client:
        assert client.xlen("taskforge:queue:normal") == backlog
    assert " 0 lost" in scheduler.log
    assert "re-published" not in scheduler.log
