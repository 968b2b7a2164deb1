from datetime import datetime
from typing import Any

import asyncpg

from taskforge_adapters.postgres.limit_rows import (
    bookkeeping,
    limit_statements,
    put_arguments,
    queue_limit_from_row,
)
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.queue_limits import QueueLimits, StoredQueueLimit
from taskforge_domain.queue_limit import QueueLimit

_STATEMENTS = limit_statements("queue_limits", "queue")


def _stored(row: Any) -> StoredQueueLimit:
    return StoredQueueLimit(limit=queue_limit_from_row(row), **bookkeeping(row))


class PgQueueLimits(QueueLimits):
    """The queue_limits table; the slots in use are counted from the running jobs."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def all_queue_limits(self) -> list[StoredQueueLimit]:
        return [_stored(row) for row in await self._db.fetch(_STATEMENTS.all)]

    async def put_queue_limit(
        self, limit: QueueLimit, now: datetime, actor: str
    ) -> StoredQueueLimit:
        row = await self._db.fetchrow(
            _STATEMENTS.put, *put_arguments(limit.queue, limit.concurrency, limit.rate), now, actor
        )
        return _stored(row)

    async def remove_queue_limit(self, queue: str) -> StoredQueueLimit | None:
        row = await self._db.fetchrow(_STATEMENTS.remove, queue)
        return None if row is None else _stored(row)
