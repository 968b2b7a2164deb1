"""The scheduler's own writes under crashes: promoting delayed jobs, and deleting finished
jobs past their retention."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg
import pytest

from taskforge_adapters.postgres.migrations import migrate_up
from tests.conftest import MIGRATIONS_URL
from tests.faults.crash_before_publish import CRASH_EXIT_CODE, CRASHING_ENTRY
from tests.faults.harness import FaultStack

DELAYED_JOBS = 300
EXPIRED_COMPLETED = 60_000
EXPIRED_CANCELLED = 3_000
EXPIRED_DEAD = 2_000
RECENT_COMPLETED = 1_000
LIVE_JOBS = 100
FINISHED_JOB_COLUMNS = [
    "id", "job_type", "payload", "status", "attempt", "max_attempts",
    "run_at", "created_at", "updated_at", "dead_lettered_at",
]  # fmt: skip


async def test_scheduler_crash_between_promoting_a_delayed_job_and_xadd_leaves_it_to_the_repair(
    stack: FaultStack,
) -> None:
    stack.start("api", "api")
    stack.start("worker1", "worker")
    crashing = stack.start("scheduler", "scheduler", entry=CRASHING_ENTRY)

    [response] = await stack.submit(1, lambda _: {"ms": 10}, fields=lambda _: {"delay_seconds": 1})
    assert response.json()["status"] == "scheduled"
    assert crashing.wait_exit() == CRASH_EXIT_CODE
    assert await stack.counts() == {"queued": 1}

    stack.start("scheduler", "scheduler")
    await stack.settle(within=30)

    job = await stack.job(response.json()["id"])
    assert (job["status"], job["attempt"]) == ("completed", 1)
    (await stack.report()).assert_invariant()


async def test_delayed_jobs_promoted_while_schedulers_are_killed_run_once_and_never_early(
    stack: FaultStack,
) -> None:
    stack.start("api", "api")
    for number in (1, 2):
        stack.start(f"worker{number}", "worker")
        stack.start(f"scheduler{number}", "scheduler")
    responses = await stack.submit(
        DELAYED_JOBS,
        lambda _: {"ms": 5},
        fields=lambda i: {"delay_seconds": 1 + (i % 30) / 10, "queue": ("high", "low")[i % 2]},
        concurrency=64,
    )
    assert {response.json()["status"] for response in responses} == {"scheduled"}

    await stack.wait_for_status_count("completed", at_least=DELAYED_JOBS // 4)
    stack.kill("scheduler1")
    stack.start("scheduler1", "scheduler")
    await stack.wait_for_status_count("completed", at_least=DELAYED_JOBS // 2)
    stack.kill("scheduler2")
    stack.start("scheduler2", "scheduler")
    await stack.settle(within=60)

    report = await stack.report()
    report.assert_invariant()
    assert report.completed == DELAYED_JOBS
    runs = await stack.started_attempts()
    assert sorted(run.job_id for run in runs) == sorted(r.json()["id"] for r in responses)
    run_at = {r.json()["id"]: datetime.fromisoformat(r.json()["run_at"]) for r in responses}
    early = [run for run in runs if run.started < run_at[run.job_id].timestamp()]
    assert not early, f"{len(early)} jobs started before their run_at: {early[:3]}"


async def seed_finished_jobs(
    conn: asyncpg.Connection, status: str, count: int, finished: datetime
) -> None:
    """Finished jobs with one attempt each, as old as `finished`, written in bulk."""
    ids = [uuid.uuid4() for _ in range(count)]
    await conn.copy_records_to_table(
        "jobs",
        columns=FINISHED_JOB_COLUMNS,
        records=[
            (job_id, "record", "{}", status, 1, 1, finished, finished, finished, finished)
            for job_id in ids
        ],
    )
    await conn.copy_records_to_table(
        "job_attempts",
        columns=["job_id", "attempt", "worker", "started_at", "finished_at", "outcome"],
        records=[(job_id, 1, "w", finished, finished, status) for job_id in ids],
    )


async def test_retention_killed_mid_purge_deletes_only_expired_finished_jobs_and_completes(
    stack: FaultStack,
) -> None:
    await migrate_up(stack.database_url, MIGRATIONS_URL)
    conn = await asyncpg.connect(stack.database_url)
    try:
        now: datetime = await conn.fetchval("SELECT now()")
        expired = now - timedelta(days=10)
        await seed_finished_jobs(conn, "completed", EXPIRED_COMPLETED, expired)
        await seed_finished_jobs(conn, "cancelled", EXPIRED_CANCELLED, expired)
        await seed_finished_jobs(conn, "dead", EXPIRED_DEAD, expired)
        await seed_finished_jobs(conn, "completed", RECENT_COMPLETED, now - timedelta(days=1))
        await conn.execute("ANALYZE jobs")
        letters_since = time.time()

        async def expired_left() -> int:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM jobs WHERE updated_at = $1 AND status <> 'dead'", expired
                )
            )

        stack.overrides.update({"REPAIR_INTERVAL": "100ms", "RETENTION_COMPLETED": "168h"})
        stack.start_default(workers=1)
        live = asyncio.create_task(stack.submit(LIVE_JOBS, lambda i: {"ms": i % 20}))
        before_kill = await _when_purge_is_midway(
            expired_left, EXPIRED_COMPLETED + EXPIRED_CANCELLED
        )
        stack.kill("scheduler")
        after_kill = await expired_left()
        stack.start("scheduler", "scheduler")
        await _wait_until_zero(expired_left, within=60)
        await live
        await stack.settle(within=30)

        attempts_without_job = await conn.fetchval(
            "SELECT count(*) FROM job_attempts a WHERE NOT EXISTS"
            " (SELECT 1 FROM jobs j WHERE j.id = a.job_id)"
        )
        kept_attempts = await conn.fetchval(
            "SELECT count(*) FROM job_attempts WHERE finished_at <= $1", now
        )
        listing_keys_unlike_jobs = await conn.fetchval(
            "SELECT count(*) FROM job_listing_keys k FULL JOIN jobs j ON j.id = k.id"
            " WHERE j.id IS NULL OR k.id IS NULL"
        )
    finally:
        await conn.close()

    assert 0 < after_kill <= before_kill < EXPIRED_COMPLETED + EXPIRED_CANCELLED
    counts = await stack.counts()
    assert counts == {"completed": RECENT_COMPLETED + LIVE_JOBS, "dead": EXPIRED_DEAD}
    assert attempts_without_job == 0
    assert kept_attempts == EXPIRED_DEAD + RECENT_COMPLETED
    assert listing_keys_unlike_jobs == 0
    report = await stack.report(letters_since=letters_since)
    report.assert_invariant()


async def _when_purge_is_midway(
    expired_left: Callable[[], Awaitable[int]], total: int, within: float = 30
) -> int:
    """Poll until the purge has deleted some expired jobs and not all of them."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = await expired_left()
        if left < total:
            if left == 0:
                pytest.fail("the purge finished before it could be interrupted")
            return left
        await asyncio.sleep(0.005)
    raise AssertionError(f"no expired job deleted within {within}s")


async def _wait_until_zero(count: Callable[[], Awaitable[int]], within: float) -> None:
    deadline = time.monotonic() + within
    while (left := await count()) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{left} expired jobs still stored after {within}s")
        await asyncio.sleep(0.05)
