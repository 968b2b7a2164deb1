"""Limits per job type on a real PostgreSQL: the store of limits, and claims that honour
them however many workers claim at once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest_asyncio

from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_job_type_limits import PgJobTypeLimits
from taskforge_adapters.postgres.pg_limited_claims import PgLimitedClaims
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import Delivery
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from taskforge_domain.job_type_limit import HOLD_BACK, JobTypeLimit, Rate, RatePeriod
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


async def submitted(repository: PgJobRepository, job_type: str, count: int) -> list[UUID]:
    jobs = [
        Job.submit(job_id=uuid4(), job_type=job_type, payload={}, max_attempts=3, now=now())
        for _ in range(count)
    ]
    await repository.insert_many(jobs)
    await repository.mark_queued([job.id for job in jobs], now())
    return [job.id for job in jobs]


def claim_jobs(pool: asyncpg.Pool, consumer: FakeChannel) -> ClaimJobs:
    return ClaimJobs(
        PgJobRepository(pool), consumer, FixedClock(now()), POLICY, PgLimitedClaims(pool)
    )


async def test_a_limit_is_stored_listed_with_its_slots_in_use_and_removed(
    own_pool: asyncpg.Pool,
) -> None:
    limits = PgJobTypeLimits(own_pool)
    repository = PgJobRepository(own_pool)
    [job_id] = await submitted(repository, "resize", 1)
    await repository.claim([job_id], now(), LEASE, "w1")
    stored = await limits.put(JobTypeLimit("resize", 4, None), now(), "alice")
    assert (stored.limit.concurrency, stored.running, stored.updated_by) == (4, 1, "alice")
    await limits.put(JobTypeLimit("email", None, Rate(10, RatePeriod.MINUTE)), now(), "bob")
    listed = await limits.all_limits()
    assert [(s.limit.job_type, s.running, s.tokens) for s in listed] == [
        ("email", 0, 10.0),
        ("resize", 1, None),
    ]
    removed = await limits.remove("resize")
    assert removed is not None
    assert removed.limit == JobTypeLimit("resize", 4, None)
    assert await limits.remove("resize") is None
    assert [s.limit.job_type for s in await limits.all_limits()] == ["email"]


async def test_setting_the_same_rate_again_keeps_its_bucket(own_pool: asyncpg.Pool) -> None:
    limits = PgJobTypeLimits(own_pool)
    await limits.put(JobTypeLimit("email", None, Rate(2, RatePeriod.HOUR)), now(), "alice")
    await own_pool.execute("UPDATE job_type_limits SET tokens = 0")
    again = await limits.put(JobTypeLimit("email", 3, Rate(2, RatePeriod.HOUR)), now(), "alice")
    assert (again.tokens, again.limit.concurrency) == (0.0, 3)
    changed = await limits.put(JobTypeLimit("email", 3, Rate(5, RatePeriod.HOUR)), now(), "al")
    assert changed.tokens == 5.0


async def test_concurrent_claims_never_start_more_than_the_concurrency_limit(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    await PgJobTypeLimits(own_pool).put(JobTypeLimit("render", 3, None), now(), "alice")
    render = await submitted(repository, "render", 40)
    other = await submitted(repository, "ping", 40)
    consumer = FakeChannel()
    claim = claim_jobs(own_pool, consumer)
    batches = [
        [Delivery(f"m-{job_id}", job_id) for job_id in render[i::8] + other[i::8]] for i in range(8)
    ]

    claimed = await asyncio.gather(*(claim(batch, f"w{i}") for i, batch in enumerate(batches)))

    started = [item.job for batch in claimed for item in batch]
    assert sum(job.job_type == "render" for job in started) == 3
    assert sum(job.job_type == "ping" for job in started) == 40
    held = await own_pool.fetch(
        "SELECT status, attempt, run_at FROM jobs WHERE job_type = 'render' AND status <> 'running'"
    )
    assert len(held) == 37
    assert {(row["status"], row["attempt"]) for row in held} == {("scheduled", 0)}
    # Every message is settled: started, or stale now that its job waits in the store.
    assert len(consumer.acked) == 37


async def test_a_slot_frees_when_its_attempt_ends(own_pool: asyncpg.Pool) -> None:
    repository = PgJobRepository(own_pool)
    await PgJobTypeLimits(own_pool).put(JobTypeLimit("render", 1, None), now(), "alice")
    first, second = await submitted(repository, "render", 2)
    claims = PgLimitedClaims(own_pool)
    assert [
        job.id for job in (await claims.claim_within_limits([first], now(), LEASE, "w")).started
    ] == [first]
    blocked = await claims.claim_within_limits([second], now(), LEASE, "w")
    assert blocked.started == []
    assert [job.id for job in blocked.held_back] == [second]
    assert blocked.held_back[0].run_at >= now() + HOLD_BACK - timedelta(seconds=1)
    [running] = await repository.running([first])
    await repository.record_outcomes([running.complete(None, now())])
    await repository.promote_due(now() + HOLD_BACK * 2, 10)
    again = await claims.claim_within_limits([second], now(), LEASE, "w")
    assert [(job.id, job.attempt) for job in again.started] == [(second, 1)]


async def test_a_rate_starts_only_its_tokens_and_holds_the_rest_until_the_next(
    own_pool: asyncpg.Pool,
) -> None:
    repository = PgJobRepository(own_pool)
    await PgJobTypeLimits(own_pool).put(
        JobTypeLimit("email", None, Rate(5, RatePeriod.MINUTE)), now(), "alice"
    )
    jobs = await submitted(repository, "email", 8)
    at = now()
    claimed = await PgLimitedClaims(own_pool).claim_within_limits(jobs, at, LEASE, "w")
    assert [job.id for job in claimed.started] == jobs[:5]
    assert [job.id for job in claimed.held_back] == jobs[5:]
    # The next token comes 12 s after the five were spent.
    assert {job.run_at for job in claimed.held_back} == {at + timedelta(seconds=12)}
    tokens = await own_pool.fetchval("SELECT tokens FROM job_type_limits")
    assert tokens == 0.0


async def test_jobs_of_a_type_whose_limit_went_away_start_at_once(own_pool: asyncpg.Pool) -> None:
    repository = PgJobRepository(own_pool)
    jobs = await submitted(repository, "render", 2)
    claimed = await PgLimitedClaims(own_pool).claim_within_limits(jobs, now(), LEASE, "w")
    assert sorted(job.id for job in claimed.started) == sorted(jobs)
    assert {job.status for job in claimed.started} == {JobStatus.RUNNING}
