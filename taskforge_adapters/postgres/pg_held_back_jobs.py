"""Releases of held-back jobs: `scheduled` again to `queued`, oldest first.

They keep to pg_job_repository's rules by never waiting: SKIP LOCKED passes over a row
a claim or a cancel holds, and the scheduler's promote pass queues a job no release
took once its run_at comes.
"""

from collections.abc import Mapping
from datetime import datetime

import asyncpg

from taskforge_adapters.postgres.job_change_notices import NOTIFIED, notify_changed
from taskforge_adapters.postgres.job_rows import COLUMNS, job_from_row
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.job_type_limits import HeldBackJobs
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from taskforge_domain.job_type_limit import HoldReason

_SCHEDULED = f"'{JobStatus.SCHEDULED.value}'"

# $1 job types, $2 how many of each, $3 the reason they wait for, $4 now.
_RELEASE = f"""
WITH due AS MATERIALIZED (
    SELECT held.id FROM unnest($1::text[], $2::int[]) AS r(job_type, count)
    CROSS JOIN LATERAL (
        SELECT id FROM jobs
        WHERE status = {_SCHEDULED} AND held_back IS NOT NULL AND held_back = $3
          AND job_type = r.job_type
        ORDER BY created_at, id LIMIT r.count FOR NO KEY UPDATE SKIP LOCKED) AS held
), released AS (
    UPDATE jobs SET status = '{JobStatus.QUEUED.value}', updated_at = $4,
        revision = jobs.revision + 1
    FROM due WHERE jobs.id = due.id AND jobs.status = {_SCHEDULED}
    RETURNING {", ".join(f"jobs.{c}" for c in COLUMNS.split(", "))}
), {notify_changed("released")}
SELECT * FROM released WHERE {NOTIFIED}
"""


class PgHeldBackJobs(HeldBackJobs):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def release_slots(self, freed: Mapping[str, int], now: datetime) -> list[Job]:
        return await self._release(freed, HoldReason.SLOT, now)

    async def release_starts(self, job_type: str, count: int, now: datetime) -> list[Job]:
        return await self._release({job_type: count}, HoldReason.RATE, now)

    async def _release(
        self, counts: Mapping[str, int], reason: HoldReason, now: datetime
    ) -> list[Job]:
        rows = await self._db.fetch(
            _RELEASE, list(counts), list(counts.values()), reason.value, now
        )
        return [job_from_row(row) for row in rows]
