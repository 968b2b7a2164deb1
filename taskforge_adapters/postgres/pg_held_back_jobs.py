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
from taskforge_domain.limit_budget import LimitScope

_SCHEDULED = f"'{JobStatus.SCHEDULED.value}'"

# By primary key: joined with `due`, the planner hashed every scheduled job to update
# the few released.
_AMONG_DUE = "id = ANY(ARRAY(SELECT id FROM due))"

_LIMIT_TABLES = {LimitScope.JOB_TYPE: "job_type_limits", LimitScope.QUEUE: "queue_limits"}


def _limited(scope: LimitScope, keys: str, counts: str) -> str:
    """The keys of $keys that have a limit, with their counts. A key without one releases
    nothing: its jobs wait for the limit of their other key, and releasing them would only
    hold them back again. MATERIALIZED, so no job row is locked for a key left out."""
    key = scope.value
    return f"""limited_{key} AS MATERIALIZED (
    SELECT r.key, r.count FROM unnest({keys}::text[], {counts}::int[]) AS r(key, count)
    WHERE EXISTS (SELECT FROM {_LIMIT_TABLES[scope]} l WHERE l.{key} = r.key))"""


def _oldest_held(scope: LimitScope) -> str:
    """The oldest jobs waiting for $5 under each limited key, as many as its count."""
    key = scope.value
    return f"""
    SELECT held.id FROM limited_{key} AS r
    CROSS JOIN LATERAL (
        SELECT id FROM jobs
        WHERE status = {_SCHEDULED} AND held_back IS NOT NULL AND held_back = $5
          AND {key} = r.key
        ORDER BY created_at, id LIMIT r.count FOR NO KEY UPDATE SKIP LOCKED) AS held"""


# $1/$2 job types and counts, $3/$4 queues and counts, $5 the reason, $6 now.
_RELEASE = f"""
WITH {_limited(LimitScope.JOB_TYPE, "$1", "$2")}, {_limited(LimitScope.QUEUE, "$3", "$4")},
due AS MATERIALIZED (
    {_oldest_held(LimitScope.JOB_TYPE)}
    UNION
    {_oldest_held(LimitScope.QUEUE)}
), released AS (
    UPDATE jobs SET status = '{JobStatus.QUEUED.value}', updated_at = $6,
        revision = jobs.revision + 1
    WHERE {_AMONG_DUE} AND status = {_SCHEDULED}
    RETURNING {COLUMNS}
), {notify_changed("released")}
SELECT * FROM released WHERE {NOTIFIED}
"""


def _release_all(scope: LimitScope) -> str:
    return f"""
WITH due AS MATERIALIZED (
    SELECT id FROM jobs
    WHERE status = {_SCHEDULED} AND held_back IS NOT NULL AND {scope.value} = $1
    ORDER BY created_at, id LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED
), released AS (
    UPDATE jobs SET status = '{JobStatus.QUEUED.value}', updated_at = $3,
        revision = jobs.revision + 1
    WHERE {_AMONG_DUE} AND status = {_SCHEDULED}
    RETURNING {COLUMNS}
), {notify_changed("released")}
SELECT * FROM released WHERE {NOTIFIED}
"""


_RELEASE_ALL = {scope: _release_all(scope) for scope in LimitScope}


class PgHeldBackJobs(HeldBackJobs):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def release_slots(
        self, by_type: Mapping[str, int], by_queue: Mapping[str, int], now: datetime
    ) -> list[Job]:
        return await self._release(by_type, by_queue, HoldReason.SLOT, now)

    async def release_starts(
        self, scope: LimitScope, key: str, count: int, now: datetime
    ) -> list[Job]:
        counts = {key: count}
        if scope is LimitScope.JOB_TYPE:
            return await self._release(counts, {}, HoldReason.RATE, now)
        return await self._release({}, counts, HoldReason.RATE, now)

    async def release_all(
        self, scope: LimitScope, key: str, count: int, now: datetime
    ) -> list[Job]:
        rows = await self._db.fetch(_RELEASE_ALL[scope], key, count, now)
        return [job_from_row(row) for row in rows]

    async def _release(
        self,
        by_type: Mapping[str, int],
        by_queue: Mapping[str, int],
        reason: HoldReason,
        now: datetime,
    ) -> list[Job]:
        rows = await self._db.fetch(
            _RELEASE,
            list(by_type),
            list(by_type.values()),
            list(by_queue),
            list(by_queue.values()),
            reason.value,
            now,
        )
        return [job_from_row(row) for row in rows]
