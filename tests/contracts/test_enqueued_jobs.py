"""EnqueuedJobs: the relay's batches of jobs enqueued in SQL, on the fake and on
PostgreSQL (where taskforge_enqueue() makes them)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from taskforge_adapters.postgres.pg_enqueue_relay import PgEnqueuedJobs
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.conftest import Services
from tests.unit.enqueue_relay_fakes import InMemoryEnqueuedJobs
from tests.unit.fakes import InMemoryJobRepository

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Relayed:
    jobs: InMemoryEnqueuedJobs | PgEnqueuedJobs
    store: InMemoryJobRepository | PgJobRepository
    pool: Any = None

    async def enqueue(self) -> UUID:
        """A job as a committed taskforge_enqueue() leaves it."""
        if isinstance(self.jobs, InMemoryEnqueuedJobs):
            job = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=5, now=NOW)
            self.jobs.enqueue(job)
            return job.id
        job_id: UUID = await self.pool.fetchval("SELECT taskforge_enqueue('ping')")
        return job_id

    async def status(self, job_id: UUID) -> JobStatus | None:
        job = await self.store.get(job_id)
        return None if job is None else job.status


@pytest_asyncio.fixture(params=["fake", "real"])
async def relayed(
    request: pytest.FixtureRequest, test_services: Services, migrated_template: str
) -> AsyncIterator[Relayed]:
    if request.param == "fake":
        store = InMemoryJobRepository()
        yield Relayed(InMemoryEnqueuedJobs(store), store)
        return
    pool = await create_pg_pool(await test_services.create_database(migrated_template), max_size=4)
    try:
        yield Relayed(PgEnqueuedJobs(pool), PgJobRepository(pool), pool)
    finally:
        await pool.close()


async def test_a_batch_holds_the_pending_jobs_and_hand_over_queues_and_releases_them(
    relayed: Relayed,
) -> None:
    ids = {await relayed.enqueue() for _ in range(3)}

    async with relayed.jobs.take(10) as batch:
        assert (batch.taken, {job.id for job in batch.pending}) == (3, ids)
        await batch.hand_over(NOW)

    assert {await relayed.status(job_id) for job_id in ids} == {JobStatus.QUEUED}
    async with relayed.jobs.take(10) as again:
        assert again.taken == 0


async def test_a_batch_ended_without_hand_over_leaves_every_job_to_relay(
    relayed: Relayed,
) -> None:
    job_id = await relayed.enqueue()

    async def take_and_fail() -> None:
        async with relayed.jobs.take(10) as batch:
            assert batch.taken == 1
            raise RuntimeError("publish failed")

    with pytest.raises(RuntimeError, match="publish failed"):
        await take_and_fail()

    async with relayed.jobs.take(10) as again:
        assert [job.id for job in again.pending] == [job_id]
    assert await relayed.status(job_id) is JobStatus.PENDING


async def test_a_batch_skips_what_another_batch_holds(relayed: Relayed) -> None:
    for _ in range(3):
        await relayed.enqueue()

    async with relayed.jobs.take(2) as first, relayed.jobs.take(10) as second:
        taken = {job.id for job in first.pending} | {job.id for job in second.pending}
        assert (first.taken, second.taken, len(taken)) == (2, 1, 3)


async def test_a_job_that_moved_on_is_taken_but_not_pending(relayed: Relayed) -> None:
    job_id = await relayed.enqueue()
    await relayed.store.mark_queued([job_id], NOW)

    async with relayed.jobs.take(10) as batch:
        assert (batch.taken, list(batch.pending)) == (1, [])
        await batch.hand_over(NOW)

    async with relayed.jobs.take(10) as again:
        assert again.taken == 0


async def test_the_oldest_jobs_are_taken_first(relayed: Relayed) -> None:
    enqueued = []
    for _ in range(3):
        enqueued.append(await relayed.enqueue())
        await asyncio.sleep(0.002)  # ids order by the millisecond

    async with relayed.jobs.take(2) as batch:
        assert [job.id for job in batch.pending] == enqueued[:2]
