"""GET /v1/jobs's queries on a table large enough for the planner to choose: every
documented filter is answered from an index, never a sequential scan of the jobs."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from taskforge_adapters.postgres.job_listing import job_listing
from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_app.ports import JobQuery
from taskforge_domain.job_status import JobStatus
from tests.conftest import MIGRATIONS_URL, Services
from tests.synthetic_jobs import SYNTHETIC_JOBS

ROWS = 30_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def many_jobs(test_services: Services) -> AsyncIterator[Any]:
    url = await test_services.create_database()
    await migrate_up(url, MIGRATIONS_URL)
    conn = await asyncpg.connect(url)
    await conn.execute(SYNTHETIC_JOBS, ROWS, NOW)
    await conn.execute("ANALYZE jobs, job_listing_keys")
    yield conn
    await conn.close()


QUERIES = {
    "newest first": JobQuery(limit=50),
    "by status": JobQuery(limit=50, status=JobStatus.DEAD),
    "by a waiting status": JobQuery(limit=50, status=JobStatus.RETRYING),
    "by job_type": JobQuery(limit=50, job_type="type_7"),
    "by a rare job_type": JobQuery(limit=50, job_type="type_rare"),
    "by a rare job_type and status": JobQuery(
        limit=50, job_type="type_rare", status=JobStatus.DEAD
    ),
    "by queue": JobQuery(limit=50, queue="high"),
    "by a rare queue": JobQuery(limit=50, queue="low"),
    "by queue and job_type": JobQuery(limit=50, queue="low", job_type="type_1"),
    "by idempotency key": JobQuery(limit=50, idempotency_key="key-1234"),
    "by key and job_type": JobQuery(limit=50, idempotency_key="key-1234", job_type="type_34"),
    "by created range": JobQuery(
        limit=50, created_after=NOW - timedelta(hours=2), created_before=NOW - timedelta(hours=1)
    ),
    "by job_type and created range": JobQuery(
        limit=50,
        job_type="type_rare",
        created_after=NOW - timedelta(hours=5),
        created_before=NOW - timedelta(hours=2),
    ),
    "dead in the last minute": JobQuery(
        limit=50, status=JobStatus.DEAD, updated_after=NOW - timedelta(minutes=1)
    ),
    "dead long ago": JobQuery(
        limit=50, status=JobStatus.DEAD, updated_before=NOW - timedelta(hours=6)
    ),
    "dead in a window": JobQuery(
        limit=50,
        status=JobStatus.DEAD,
        updated_after=NOW - timedelta(hours=7),
        updated_before=NOW - timedelta(hours=6, minutes=50),
    ),
    "updated long ago": JobQuery(limit=50, updated_before=NOW - timedelta(hours=6)),
    "next page": JobQuery(limit=50, before=(NOW - timedelta(hours=3), UUID(int=0))),
    "next page of a job_type": JobQuery(
        limit=50, job_type="type_rare", before=(NOW - timedelta(hours=3), UUID(int=0))
    ),
}

# A filter answered by walking an index in order and discarding what does not match
# reads far more rows than it returns when the value is rare; this bounds that. The
# searches (error text, payload) have their own statements: test_job_searches.py.
MAX_ROWS_DISCARDED = 2_000


def rows_discarded(node: dict[str, Any]) -> int:
    own = int(node.get("Rows Removed by Filter", 0)) * int(node.get("Actual Loops", 1))
    return own + sum(rows_discarded(child) for child in node.get("Plans", []))


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_documented_filter_is_answered_from_an_index(many_jobs: Any, name: str) -> None:
    sql, args = job_listing(QUERIES[name])

    [plan] = json.loads(await many_jobs.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args))
    text = "\n".join(row[0] for row in await many_jobs.fetch(f"EXPLAIN {sql}", *args))

    assert "Seq Scan" not in text, text
    assert "Index" in text, text
    assert rows_discarded(plan["Plan"]) <= MAX_ROWS_DISCARDED, text


async def test_filters_served_by_their_own_indexes_find_every_matching_job(many_jobs: Any) -> None:
    def ids(rows: list[Any]) -> set[UUID]:
        return {row["id"] for row in rows}

    six_hours_ago = "'2026-06-01T00:00:00Z'::timestamptz - interval '6 hours'"
    expected = {
        "dead long ago": "SELECT id FROM jobs WHERE status = 'dead' AND updated_at < "
        f"{six_hours_ago} ORDER BY created_at DESC, id DESC LIMIT 50",
        "dead in the last minute": "SELECT id FROM jobs WHERE status = 'dead' AND updated_at >= "
        "'2026-06-01T00:00:00Z'::timestamptz - interval '1 minute'",
        "by a rare job_type": "SELECT id FROM jobs WHERE job_type = 'type_rare'",
        "by a rare queue": "SELECT id FROM jobs WHERE queue = 'low'",
        "by queue and job_type": "SELECT id FROM jobs WHERE queue = 'low' AND job_type = 'type_1'",
    }
    for name, truth in expected.items():
        sql, args = job_listing(QUERIES[name])
        found, wanted = ids(await many_jobs.fetch(sql, *args)), ids(await many_jobs.fetch(truth))
        assert found == wanted, name
        assert 0 < len(wanted) <= 50, name


async def test_finished_jobs_are_deleted_in_batches_and_waiting_ones_never(
    test_services: Services,
) -> None:
    url = await test_services.create_database()
    await migrate_up(url, MIGRATIONS_URL)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """INSERT INTO jobs (id, job_type, status, max_attempts, created_at, updated_at)
               SELECT gen_random_uuid(), 'x', s, 5, $1, $1
               FROM unnest(ARRAY['completed','completed','completed','queued','dead']) AS s""",
            NOW - timedelta(days=30),
        )
        pool = await create_pg_pool(url, max_size=2)
        try:
            repository = PgJobRepository(pool)
            first = await repository.delete_finished(JobStatus.COMPLETED, NOW, 2)
            second = await repository.delete_finished(JobStatus.COMPLETED, NOW, 2)
            with pytest.raises(ValueError, match="finished"):
                await repository.delete_finished(JobStatus.QUEUED, NOW, 2)
        finally:
            await pool.close()
        left = await conn.fetch("SELECT status FROM jobs ORDER BY status")
    finally:
        await conn.close()

    assert (first, second) == (2, 1)
    assert [row["status"] for row in left] == ["dead", "queued"]
