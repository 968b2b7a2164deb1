"""The dashboard's throughput history on a real PostgreSQL: the highest count per bucket
and queue is kept, old buckets are dropped, and two processes may save at once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio

from taskforge_adapters.postgres.pg_outcome_history import PgOutcomeHistory
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_app.outcome_tally import BUCKET
from taskforge_app.ports.outcome_history import SavedOutcomes

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def history(own_migrated_database_url: str) -> AsyncIterator[PgOutcomeHistory]:
    pool: asyncpg.Pool = await create_pg_pool(own_migrated_database_url, max_size=4)
    yield PgOutcomeHistory(pool)
    await pool.close()


async def test_a_saved_bucket_keeps_the_highest_count_of_each_column(
    history: PgOutcomeHistory,
) -> None:
    await history.save([SavedOutcomes(T0, "default", 5, 1, 0)], T0)
    await history.save([SavedOutcomes(T0, "default", 3, 4, 1)], T0)
    await history.save([SavedOutcomes(T0, "other", 1, 0, 0)], T0)

    assert await history.load(T0) == [
        SavedOutcomes(T0, "default", 5, 4, 1),
        SavedOutcomes(T0, "other", 1, 0, 0),
    ]


async def test_buckets_before_the_minutes_kept_are_dropped_and_not_loaded(
    history: PgOutcomeHistory,
) -> None:
    old, recent = T0, T0 + 20 * BUCKET
    await history.save([SavedOutcomes(old, "default", 1, 0, 0)], old)
    await history.save([SavedOutcomes(recent, "default", 2, 0, 0)], recent - BUCKET)

    assert await history.load(old) == [SavedOutcomes(recent, "default", 2, 0, 0)]
    assert await history.load(recent + BUCKET) == []


async def test_two_processes_saving_the_same_buckets_at_once_both_succeed(
    history: PgOutcomeHistory,
) -> None:
    buckets = [T0 + index * BUCKET for index in range(90)]

    def counts(completed: int) -> list[SavedOutcomes]:
        return [SavedOutcomes(start, q, completed, 0, 0) for start in buckets for q in "abc"]

    for _ in range(5):
        await asyncio.gather(
            history.save(counts(1), T0), history.save(list(reversed(counts(2))), T0)
        )

    loaded = await history.load(T0 - timedelta(hours=1))
    assert len(loaded) == 270
    assert {row.completed for row in loaded} == {2}
