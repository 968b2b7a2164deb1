"""Workers are killed while a job type's, or a queue's, concurrency limit is full: the limit
is never exceeded, slots come back with the lost attempts, and no limited job is left
waiting."""

import asyncio
import random

import asyncpg
import httpx
import pytest

from tests.faults.attempt_log import Execution
from tests.faults.harness import FaultStack

LIMITED = "record_limited"
CONCURRENCY = 3
KILLS = 3


def most_at_once(runs: list[Execution]) -> tuple[int, list[Execution]]:
    """The most handler runs in progress at one moment, and those runs. A killed run ends
    when its worker died, before PostgreSQL let its slot go: the observed runs can only
    undercount."""
    edges = sorted([(run.started, 1) for run in runs] + [(run.ended, -1) for run in runs])
    running = peak = 0
    peak_at = 0.0
    for at, step in edges:
        running += step
        if running > peak:
            peak, peak_at = running, at
    return peak, [run for run in runs if run.started <= peak_at < run.ended]


async def limited_jobs(stack: FaultStack) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetch(
            "SELECT id::text, status, attempt FROM jobs WHERE job_type = $1", LIMITED
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("seed", [20261201])
async def test_sigkill_of_workers_never_lets_a_limited_type_exceed_its_concurrency(
    stack: FaultStack, seed: int
) -> None:
    chance = random.Random(seed)
    stack.start_default(workers=3)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
        answer = await client.put(f"/v1/limits/{LIMITED}", json={"concurrency": CONCURRENCY})
        assert answer.status_code == 200, answer.text

    accepted = await stack.submit(
        150,
        lambda _: {"ms": chance.randint(50, 250)},
        fields=lambda index: {"job_type": LIMITED} if index % 5 < 2 else {},
    )
    for _ in range(KILLS):
        victim = await stack.worker_running_an_attempt()
        await asyncio.sleep(chance.uniform(0.0, 0.05))
        stack.kill(victim)
        stack.start(victim, "worker")

    assert all(response.status_code == 202 for response in accepted)
    await stack.settle(within=150)
    report = await stack.report()
    report.assert_invariant()
    assert report.interrupted > 0, "no kill landed mid-attempt; the scenario proved nothing"
    jobs = await limited_jobs(stack)
    assert len(jobs) == 60
    assert {row["status"] for row in jobs} == {"completed"}
    ids = {row["id"] for row in jobs}
    runs = [run for run in await stack.started_attempts() if run.job_id in ids]
    peak, at_peak = most_at_once(runs)
    print(f"limit {CONCURRENCY}: at most {peak} {LIMITED} attempts ran at once, {KILLS} kills")
    assert 1 <= peak <= CONCURRENCY, (at_peak, stack.killed_at, stack.logs())
    # Waiting for a slot spends no attempt: only the attempts the kills cut short are extra.
    assert sum(row["attempt"] - 1 for row in jobs) <= KILLS * CONCURRENCY


LIMITED_QUEUE = "low"


async def queue_jobs(stack: FaultStack, queue: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetch(
            "SELECT id::text, status, attempt FROM jobs WHERE queue = $1", queue
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("seed", [20261202])
async def test_sigkill_of_workers_never_lets_a_limited_queue_exceed_its_concurrency(
    stack: FaultStack, seed: int
) -> None:
    chance = random.Random(seed)
    stack.start_default(workers=3)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
        answer = await client.put(
            f"/v1/queues/{LIMITED_QUEUE}/limit", json={"concurrency": CONCURRENCY}
        )
        assert answer.status_code == 200, answer.text

    # Jobs of two types in the limited queue: the queue's limit binds across types.
    accepted = await stack.submit(
        150,
        lambda _: {"ms": chance.randint(50, 250)},
        fields=lambda index: (
            {"queue": LIMITED_QUEUE, "job_type": ("record", LIMITED)[index % 2]}
            if index % 5 < 2
            else {}
        ),
    )
    for _ in range(KILLS):
        victim = await stack.worker_running_an_attempt()
        await asyncio.sleep(chance.uniform(0.0, 0.05))
        stack.kill(victim)
        stack.start(victim, "worker")

    assert all(response.status_code == 202 for response in accepted)
    await stack.settle(within=150)
    report = await stack.report()
    report.assert_invariant()
    assert report.interrupted > 0, "no kill landed mid-attempt; the scenario proved nothing"
    jobs = await queue_jobs(stack, LIMITED_QUEUE)
    assert len(jobs) == 60
    assert {row["status"] for row in jobs} == {"completed"}
    ids = {row["id"] for row in jobs}
    runs = [run for run in await stack.started_attempts() if run.job_id in ids]
    peak, at_peak = most_at_once(runs)
    print(
        f"queue limit {CONCURRENCY}: at most {peak} attempts of queue {LIMITED_QUEUE} "
        f"ran at once, {KILLS} kills"
    )
    assert 1 <= peak <= CONCURRENCY, (at_peak, stack.killed_at, stack.logs())
    assert sum(row["attempt"] - 1 for row in jobs) <= KILLS * CONCURRENCY
