"""Jobs held back by a limit come back as soon as the limit may let them start, on a real
PostgreSQL: one per slot an ending attempt frees, and their rate's next starts when due."""

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
from taskforge_app.callers import Caller
from taskforge_app.claim_jobs import Claimed, ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.manage_limits import RemoveLimit
from taskforge_app.ports import Delivery
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs
from taskforge_domain.access import Grant
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_type_limit import JobTypeLimit, Rate, RatePeriod
from tests.integration.polling import eventually
from tests.unit.fakes import FakeChannel, InMemoryAuditTrail

LEASE = timedelta(seconds=90)
POLICY = ExecutionPolicy(
    timedelta(seconds=30), LEASE, FullJitterBackoff(LEASE, LEASE, lambda low, high: high)
)


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest_asyncio.fixture
async def own_pool(own_migrated_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=4)
    yield pool
    await pool.close()


class Stack:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.jobs = PgJobRepository(pool)
        self.channel = FakeChannel()
        clock = WallClock()
        self.release = ReleaseHeldBackJobs(PgHeldBackJobs(pool), self.channel, clock)
        self.claim = ClaimJobs(
            self.jobs, self.channel, clock, POLICY, PgLimitedClaims(pool), self.release
        )
        self.record = RecordOutcomes(
            self.jobs, self.jobs, self.channel, self.channel, clock, POLICY, release=self.release
        )
        self.reap = ReapExpiredAttempts(
            self.jobs, self.jobs, self.channel, clock, POLICY, release=self.release
        )

    async def submitted(
        self, job_type: str, count: int, run_at: datetime | None = None
    ) -> list[UUID]:
        at = datetime.now(UTC)
        jobs = [
            Job.submit(
                job_id=uuid4(), job_type=job_type, payload={}, max_attempts=3, now=at, run_at=run_at
            )
            for _ in range(count)
        ]
        await self.jobs.insert_many(jobs)
        await self.jobs.mark_queued([job.id for job in jobs], at)
        return [job.id for job in jobs]

    async def claimed(self, job_ids: list[UUID]) -> list[Claimed]:
        return await self.claim([Delivery(f"m-{job_id}", job_id) for job_id in job_ids], "w")

    async def statuses(self, job_ids: list[UUID]) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT id, status FROM jobs WHERE id = ANY($1::uuid[])", job_ids
        )
        by_id = {row["id"]: row["status"] for row in rows}
        return [by_id[job_id] for job_id in job_ids]


@pytest_asyncio.fixture
async def stack(own_pool: asyncpg.Pool) -> Stack:
    return Stack(own_pool)


async def test_an_ending_attempt_releases_the_oldest_job_waiting_for_its_slot(
    stack: Stack,
) -> None:
    await PgJobTypeLimits(stack.pool).put(
        JobTypeLimit("render", 1, None), datetime.now(UTC), "alice"
    )
    # One at a time: a batch's jobs share their created_at.
    first, second, third = [(await stack.submitted("render", 1))[0] for _ in range(3)]
    [running] = await stack.claimed([first, second, third])
    assert running.limited
    assert await stack.statuses([second, third]) == ["scheduled", "scheduled"]

    await stack.record(
        [Claimed(running.message_id, running.job.complete(None, datetime.now(UTC)), True)]
    )

    assert await stack.statuses([second, third]) == ["queued", "scheduled"]
    assert stack.channel.published_ids == [second]
    [again] = await stack.claimed([second])
    assert again.job.id == second
    assert again.job.attempt == 1


async def test_a_job_its_submitter_scheduled_is_never_released_early(stack: Stack) -> None:
    await PgJobTypeLimits(stack.pool).put(
        JobTypeLimit("render", 1, None), datetime.now(UTC), "alice"
    )
    later = await stack.submitted("render", 1, run_at=datetime.now(UTC) + timedelta(hours=1))
    first = await stack.submitted("render", 1)
    [running] = await stack.claimed(first)

    await stack.record(
        [Claimed(running.message_id, running.job.complete(None, datetime.now(UTC)), True)]
    )

    assert await stack.statuses(later) == ["scheduled"]
    assert stack.channel.published == []


async def test_an_attempt_the_reaper_ends_frees_its_slot_too(stack: Stack) -> None:
    await PgJobTypeLimits(stack.pool).put(
        JobTypeLimit("render", 1, None), datetime.now(UTC), "alice"
    )
    first, second = await stack.submitted("render", 2)
    await stack.claimed([first, second])
    await stack.pool.execute(
        "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", first
    )

    assert await stack.reap() == 1

    # The lost attempt's job retries at once through the promote pass, as without a limit.
    assert await stack.statuses([first, second]) == ["retrying", "queued"]
    assert stack.channel.published_ids == [second]


async def test_a_rate_releases_its_held_back_jobs_when_its_next_starts_are_due(
    stack: Stack,
) -> None:
    await PgJobTypeLimits(stack.pool).put(
        JobTypeLimit("email", None, Rate(20, RatePeriod.SECOND)), datetime.now(UTC), "alice"
    )
    jobs = await stack.submitted("email", 25)
    started = await stack.claimed(jobs)
    assert len(started) == 20
    held = [job_id for job_id in jobs if job_id not in {item.job.id for item in started}]

    async def released() -> bool:
        return bool(stack.channel.published)

    # The next token is due 50 ms after the twenty were spent, long before a promote pass.
    await eventually(released, what="the rate's next start releases a held-back job")
    assert set(stack.channel.published_ids) <= set(held)
    statuses = await stack.statuses(held)
    assert statuses.count("queued") == len(stack.channel.published) >= 2


async def test_removing_a_limit_releases_every_job_it_held_back(stack: Stack) -> None:
    limits = PgJobTypeLimits(stack.pool)
    await limits.put(JobTypeLimit("render", 1, None), datetime.now(UTC), "alice")
    jobs = await stack.submitted("render", 4)
    await stack.claimed(jobs)
    assert (await stack.statuses(jobs)).count("scheduled") == 3
    remove = RemoveLimit(limits, InMemoryAuditTrail(), WallClock(), stack.release)

    await remove(Caller("alice", Grant.everything()), "render")

    assert sorted(await stack.statuses(jobs)) == ["queued", "queued", "queued", "running"]
    assert len(stack.channel.published) == 3
