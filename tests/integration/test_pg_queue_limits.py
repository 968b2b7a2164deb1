"""Limits per queue on a real PostgreSQL: the store of them, claims that honour them
alongside the limits per job type, and the release of the jobs they hold back."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest_asyncio

from taskforge_adapters.postgres.pg_held_back_jobs import PgHeldBackJobs
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_job_type_limits import PgJobTypeLimits
from taskforge_adapters.postgres.pg_limited_claims import PgLimitedClaims
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_queue_limits import PgQueueLimits
from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import Delivery
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_type_limit import JobTypeLimit, Rate, RatePeriod
from taskforge_domain.limit_budget import LimitScope
from taskforge_domain.queue_limit import QueueLimit
from tests.unit.fakes import FakeChannel, FixedClock

LEASE = timedelta(seconds=90)
POLICY = ExecutionPolicy(
    timedelta(seconds=30), LEASE, FullJitterBackoff(LEASE, LEASE, lambda low, high: high)
)


@pytest_asyncio.fixture
async def own_pool(own_migrated_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=12)
    yield pool
    await pool.close()


def now() -> datetime:
    return datetime.now(UTC)


async def submitted(
    repository: PgJobRepository, job_type: str, queue: str, count: int
) -> list[UUID]:
    jobs = [
        Job.submit(
            job_id=uuid4(), job_type=job_type, payload={}, max_attempts=3, now=now(), queue=queue
        )
        for _ in range(count)
    ]
    await repository.insert_many(jobs)
    await repository.mark_queued([job.id for job in jobs], now())
    return [job.id for job in jobs]


def claim_jobs(pool: asyncpg.Pool, consumer: FakeChannel) -> ClaimJobs:
    return ClaimJobs(
        PgJobRepository(pool), consumer, FixedClock(now()), POLICY, PgLimitedClaims(pool)
    )


async def statuses(pool: asyncpg.Pool, job_ids: list[UUID]) -> list[str]:
    rows = await pool.fetch("SELECT id, status FROM jobs WHERE id = ANY($1::uuid[])", job_ids)
    by_id = {row["id"]: row["status"] for row in rows}
    return [by_id[job_id] for job_id in job_ids]


async def test_a_queue_limit_is_stored_listed_with_its_slots_in_use_and_removed(
    own_pool: asyncpg.Pool,
) -> None:
    limits = PgQueueLimits(own_pool)
    repository = PgJobRepository(own_pool)
    [job_id] = await submitted(repository, "resize", "low", 1)
    await repository.claim([job_id], now(), LEASE, "w1")
    stored = await limits.put_queue_limit(QueueLimit("low", 4, None), now(), "alice")
    assert (stored.limit.concurrency, stored.running, stored.updated_by) == (4, 1, "alice")
    rate = Rate(10, RatePeriod.MINUTE)
    await limits.put_queue_limit(QueueLimit("high", None, rate), now(), "bob")
    listed = await limits.all_queue_limits()
    assert [(s.limit.queue, s.running, s.tokens) for s in listed] == [
        ("high", 0, 10.0),
        ("low", 1, None),
    ]
    removed = await limits.remove_queue_limit("low")
    assert removed is not None
    assert removed.limit == QueueLimit("low", 4, None)
    assert await limits.remove_queue_limit("low") is None


async def test_concurrent_claims_never_start_more_than_a_queues_concurrency(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    await PgQueueLimits(own_pool).put_queue_limit(QueueLimit("low", 3, None), now(), "alice")
    low = await submitted(repository, "render", "low", 20) + await submitted(
        repository, "ping", "low", 20
    )
    normal = await submitted(repository, "render", "normal", 40)
    consumer = FakeChannel()
    claim = claim_jobs(own_pool, consumer)
    batches = [
        [Delivery(f"m-{job_id}", job_id) for job_id in low[i::8] + normal[i::8]] for i in range(8)
    ]

    claimed = await asyncio.gather(*(claim(batch, f"w{i}") for i, batch in enumerate(batches)))

    started = [item.job for batch in claimed for item in batch]
    assert sum(job.queue == "low" for job in started) == 3
    assert sum(job.queue == "normal" for job in started) == 40
    assert (await statuses(own_pool, low)).count("scheduled") == 37


async def test_a_job_starts_only_when_it_fits_both_its_types_and_its_queues_limit(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    await PgJobTypeLimits(own_pool).put(JobTypeLimit("render", 2, None), now(), "alice")
    await PgQueueLimits(own_pool).put_queue_limit(QueueLimit("low", 3, None), now(), "alice")
    renders_low = await submitted(repository, "render", "low", 3)
    pings_low = await submitted(repository, "ping", "low", 3)
    claims = PgLimitedClaims(own_pool)

    claimed = await claims.claim_within_limits(renders_low + pings_low, now(), LEASE, "w")

    started = {job.id for job in claimed.started}
    # Two renders fill the type's slots; one ping fills the queue's third slot.
    assert len(started & set(renders_low)) == 2
    assert len(started & set(pings_low)) == 1
    assert len(claimed.held_back) == 3


async def test_an_ending_attempt_in_a_limited_queue_releases_the_oldest_held_job_of_it(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    await PgQueueLimits(own_pool).put_queue_limit(QueueLimit("low", 1, None), now(), "alice")
    first = await submitted(repository, "render", "low", 1)
    second = await submitted(repository, "ping", "low", 1)
    claimed = await PgLimitedClaims(own_pool).claim_within_limits(first + second, now(), LEASE, "w")
    assert [job.id for job in claimed.started] == first

    released = await PgHeldBackJobs(own_pool).release_slots({"render": 1}, {"low": 1}, now())

    assert [job.id for job in released] == second
    assert await statuses(own_pool, second) == ["queued"]


async def test_a_queue_rate_holds_back_what_it_cannot_start_and_says_when_it_can(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    rate = Rate(5, RatePeriod.SECOND)
    await PgQueueLimits(own_pool).put_queue_limit(QueueLimit("low", None, rate), now(), "al")
    jobs = await submitted(repository, "email", "low", 8)
    at = now()

    claimed = await PgLimitedClaims(own_pool).claim_within_limits(jobs, at, LEASE, "w")

    assert len(claimed.started) == 5
    [wait] = claimed.rate_waits
    assert (wait.scope, wait.key) == (LimitScope.QUEUE, "low")
    assert wait.at == at + timedelta(seconds=0.2)
    assert wait.count == 2
    released = await PgHeldBackJobs(own_pool).release_starts(
        LimitScope.QUEUE, "low", wait.count, now()
    )
    assert len(released) == 2


async def test_every_job_a_removed_queue_limit_held_back_can_be_released(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    limits = PgQueueLimits(own_pool)
    await limits.put_queue_limit(QueueLimit("low", 1, None), now(), "alice")
    jobs = await submitted(repository, "render", "low", 4)
    claimed = await PgLimitedClaims(own_pool).claim_within_limits(jobs, now(), LEASE, "w")
    assert len(claimed.held_back) == 3
    await limits.remove_queue_limit("low")

    released = await PgHeldBackJobs(own_pool).release_all(LimitScope.QUEUE, "low", 10, now())

    assert sorted(job.id for job in released) == sorted(job.id for job in claimed.held_back)
