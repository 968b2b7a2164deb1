from datetime import datetime
from typing import Any

import asyncpg

from taskforge_adapters.postgres.limit_rows import LIMIT_COLUMNS, limit_from_row
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.job_type_limits import JobTypeLimits, StoredLimit
from taskforge_domain.job_type_limit import JobTypeLimit

_RUNNING = "(SELECT count(*) FROM jobs WHERE status = 'running' AND job_type = l.job_type)"

_ALL = f"SELECT {LIMIT_COLUMNS}, {_RUNNING} AS running FROM job_type_limits l ORDER BY job_type"

# A rate set again as it was keeps its bucket: setting the same limit twice must not
# hand out a second period's starts at once.
_PUT = f"""
INSERT INTO job_type_limits AS l
    (job_type, concurrency, rate, rate_per, tokens, refilled_at, updated_at, updated_by)
VALUES ($1, $2, $3::integer, $4, $3::integer, $5, $5, $6)
ON CONFLICT (job_type) DO UPDATE SET
    concurrency = EXCLUDED.concurrency, rate = EXCLUDED.rate, rate_per = EXCLUDED.rate_per,
    tokens = CASE WHEN (l.rate, l.rate_per) IS NOT DISTINCT FROM (EXCLUDED.rate, EXCLUDED.rate_per)
                  THEN l.tokens ELSE EXCLUDED.tokens END,
    refilled_at = CASE WHEN (l.rate, l.rate_per)
                            IS NOT DISTINCT FROM (EXCLUDED.rate, EXCLUDED.rate_per)
                       THEN l.refilled_at ELSE EXCLUDED.refilled_at END,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
RETURNING {LIMIT_COLUMNS}, {_RUNNING} AS running
"""

_REMOVE = (
    f"DELETE FROM job_type_limits l WHERE job_type = $1 RETURNING {LIMIT_COLUMNS}, 0 AS running"
)


def _stored(row: Any) -> StoredLimit:
    tokens = row["tokens"]
    return StoredLimit(
        limit=limit_from_row(row),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        running=row["running"],
        tokens=None if tokens is None else float(tokens),
    )


class PgJobTypeLimits(JobTypeLimits):
    """The job_type_limits table; the slots in use are counted from the running jobs."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def all_limits(self) -> list[StoredLimit]:
        return [_stored(row) for row in await self._db.fetch(_ALL)]

    async def put(self, limit: JobTypeLimit, now: datetime, actor: str) -> StoredLimit:
        rate = limit.rate
        row = await self._db.fetchrow(
            _PUT,
            limit.job_type,
            limit.concurrency,
            None if rate is None else rate.starts,
            None if rate is None else rate.per.value,
            now,
            actor,
        )
        return _stored(row)

    async def remove(self, job_type: str) -> StoredLimit | None:
        row = await self._db.fetchrow(_REMOVE, job_type)
        return None if row is None else _stored(row)
