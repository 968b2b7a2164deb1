"""Dead jobs grouped by job type and by error's first line, in one statement."""

from collections.abc import Collection
from typing import Any

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.dead_job_groups import (
    ERROR_LINE_LENGTH,
    DeadJobGroup,
    DeadJobGroups,
    DeadJobSummary,
)

# The window walks jobs_dead_updated_idx backwards and reads only the two columns it
# groups, never a payload. GROUPING SETS count the window, each type and each
# (type, error) in one pass; `kind` is 0 for (type, error), 1 for a type, 3 for the window.
_GROUP_DEAD = f"""
WITH latest AS (
    SELECT job_type,
           left(split_part(coalesce(last_error, ''), E'\\n', 1), {ERROR_LINE_LENGTH}) AS error
    FROM jobs
    WHERE status = 'dead' AND ($3::text[] IS NULL OR queue = ANY($3::text[]))
    ORDER BY updated_at DESC
    LIMIT $1
), grouped AS (
    SELECT GROUPING(job_type, error) AS kind, job_type, error, count(*) AS jobs
    FROM latest
    GROUP BY GROUPING SETS ((), (job_type), (job_type, error))
)
(SELECT kind, job_type, error, jobs FROM grouped WHERE kind = 3)
UNION ALL
(SELECT kind, job_type, error, jobs FROM grouped WHERE kind = 1
 ORDER BY jobs DESC, job_type LIMIT $2)
UNION ALL
(SELECT kind, job_type, error, jobs FROM grouped WHERE kind = 0
 ORDER BY jobs DESC, job_type, error LIMIT $2)
"""


class PgDeadJobGroups(DeadJobGroups):
    def __init__(self, pool: Any) -> None:
        self._db = ConflictRetry(pool)

    async def group_dead_jobs(
        self, window: int, top: int, queues: Collection[str] | None = None
    ) -> DeadJobSummary:
        rows = await self._db.fetch(
            _GROUP_DEAD, window, top, None if queues is None else sorted(queues)
        )
        examined = next((int(row["jobs"]) for row in rows if row["kind"] == 3), 0)
        return DeadJobSummary(
            examined=examined,
            by_type=[
                DeadJobGroup(row["job_type"], None, int(row["jobs"]))
                for row in rows
                if row["kind"] == 1
            ],
            by_error=[
                DeadJobGroup(row["job_type"], row["error"], int(row["jobs"]))
                for row in rows
                if row["kind"] == 0
            ],
        )
