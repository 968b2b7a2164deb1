from datetime import datetime
from typing import Any

import asyncpg

from taskforge_adapters.postgres.limit_rows import QUEUE_LIMIT_COLUMNS, queue_limit_from_row
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.queue_limits import QueueLimits, StoredQueueLimit
from taskforge_domain.queue_limit import QueueLimit

_RUNNING = "(SELECT count(*) FROM jobs WHERE status = 'running' AND queue = l.queue)"

_ALL = f"SELECT {QUEUE_LIMIT_COLUMNS}, {_RUNNING} AS running FROM queue_limits l ORDER BY queue"

# A rate set again as it was keeps its bucket: setting the same limit twice must not
# hand out a second period's starts at once.
_PUT = f"""
INSERT INTO queue_limits AS l
    (queue, concurrency, rate, rate_per, tokens, refilled_at, updated_at, updated_by)
VALUES ($1, $2, $3::integer, $4, $3::integer, $5, $5, $6)
ON CONFLICT (queue) DO UPDATE SET
    concurrency = EXCLUDED.concurrency, rate = EXCLUDED.rate, rate_per = EXCLUDED.rate_per,
    tokens = CASE WHEN (l.rate, l.rate_per) IS NOT DISTINCT FROM (EXCLUDED.rate, EXCLUDED.rate_per)
                  THEN l.tokens ELSE EXCLUDED.tokens END,
    refilled_at = CASE WHEN (l.rate, l.rate_per)
                            IS NOT DISTINCT FROM (EXCLUDED.rate, EXCLUDED.rate_per)
                       THEN l.refilled_at ELSE EXCLUDED.refilled_at END,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
RETURNING {QUEUE_LIMIT_COLUMNS}, {_RUNNING} AS running
"""

_REMOVE = (
    f"DELETE FROM queue_limits l WHERE queue = $1 RETURNING {QUEUE_LIMIT_COLUMNS}, 0 AS running"
)


def _stored(row: Any) -> StoredQueueLimit:
    tokens = row["tokens"]
    return StoredQueueLimit(
        limit=queue_limit_from_row(row),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        running=row["running"],
        tokens=None if tokens is None else float(tokens),
    )


class PgQueueLimits(QueueLimits):
    """The queue_limits table; the slots in use are counted from the running jobs."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def all_queue_limits(self) -> list[StoredQueueLimit]:
        return [_stored(row) for row in await self._db.fetch(_ALL)]

    async def put_queue_limit(
        self, limit: QueueLimit, now: datetime, actor: str
    ) -> StoredQueueLimit:
        rate = limit.rate
        row = await self._db.fetchrow(
            _PUT,
            limit.queue,
            limit.concurrency,
            None if rate is None else rate.starts,
            None if rate is None else rate.per.value,
            now,
            actor,
        )
        return _stored(row)

    async def remove_queue_limit(self, queue: str) -> StoredQueueLimit | None:
        row = await self._db.fetchrow(_REMOVE, queue)
        return None if row is None else _stored(row)
