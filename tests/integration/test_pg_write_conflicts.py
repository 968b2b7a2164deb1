"""Batched writes that name the same jobs do not deadlock, and a write that still loses
a deadlock (to a statement from outside Taskforge) is run again and wins."""

import asyncio
import logging
from collections.abc import Callable, Iterator

import asyncpg
import pytest

from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from tests.integration.polling import eventually
from tests.integration.test_pg_job_repository import LEASE, running, submitted, utc_now

RETRY_LOG = "taskforge_adapters.postgres.pg_conflict_retry"
TOUCH = "UPDATE jobs SET updated_at = now() WHERE id = $1"


@pytest.fixture
def repository(pg_pool: asyncpg.Pool) -> PgJobRepository:
    return PgJobRepository(pg_pool)


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """The statements PostgreSQL refused for a conflict so far, as ConflictRetry logs them."""
    with caplog.at_level(logging.INFO, logger=RETRY_LOG):
        yield lambda: [r.getMessage() for r in caplog.records if r.name == RETRY_LOG]


async def test_a_write_that_loses_a_real_deadlock_is_run_again_and_wins(
    repository: PgJobRepository, migrated_database_url: str, refusals: Callable[[], list[str]]
) -> None:
    now = utc_now()
    low, high = sorted(
        [await running(repository, now), await running(repository, now)], key=lambda job: job.id
    )
    blocker = await asyncpg.connect(migrated_database_url)
    try:
        # The blocker checks for deadlocks later than the repository's session (1 s), so
        # PostgreSQL picks the repository's statement as the victim.
        await blocker.execute("SET deadlock_timeout = '10s'")
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute(TOUCH, high.id)
        # Locks `low` first (id order), then waits for `high`.
        renewal = asyncio.create_task(
            repository.extend_leases([(low.id, low.attempt), (high.id, high.attempt)], now, LEASE)
        )

        async def renewal_waits() -> bool:
            return bool(
                await blocker.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND query LIKE '%lease_expires_at%'"
                )
            )

        await eventually(renewal_waits, what="the lease renewal waits for the blocker's row")
        # Closes the cycle; returns once PostgreSQL has refused the renewal.
        await blocker.execute(TOUCH, low.id)
        await transaction.commit()
        renewed = await asyncio.wait_for(renewal, timeout=10)
    finally:
        await blocker.close()

    assert renewed.held == {low.id, high.id}
    [refused] = refusals()
    assert "40P01" in refused


async def test_batches_naming_the_same_jobs_in_opposite_orders_never_deadlock(
    repository: PgJobRepository, refusals: Callable[[], list[str]]
) -> None:
    now = utc_now()
    for _ in range(10):
        stored = await repository.insert_many([submitted(now=now) for _ in range(200)])
        ids = [job.id for job, _ in stored]
        backwards = list(reversed(ids))
        # The API marks the batch queued while two workers claim it from duplicate messages.
        _, first, second = await asyncio.gather(
            repository.mark_queued(ids, now),
            repository.claim(ids, now, LEASE, "worker-a"),
            repository.claim(backwards, now, LEASE, "worker-b"),
        )
        claimed = sorted(first + second, key=lambda job: job.id)
        assert [job.id for job in claimed] == sorted(ids)
        attempts = [(job.id, job.attempt) for job in claimed]
        # A worker renews the leases of a batch while it records the batch's outcomes,
        # and the same renewal runs from a second worker's view in the opposite order.
        outcomes = [job.complete(None, now) for job in reversed(claimed)]
        written, _, _ = await asyncio.gather(
            repository.record_outcomes(outcomes),
            repository.extend_leases(attempts, now, LEASE),
            repository.extend_leases(list(reversed(attempts)), now, LEASE),
        )
        assert written == set(ids)

    assert refusals() == []
