from datetime import datetime
from typing import Any

import asyncpg

from taskforge_adapters.postgres.limit_rows import (
    bookkeeping,
    limit_from_row,
    limit_statements,
    put_arguments,
)
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.job_type_limits import JobTypeLimits, StoredLimit
from taskforge_domain.job_type_limit import JobTypeLimit

_STATEMENTS = limit_statements("job_type_limits", "job_type")


def _stored(row: Any) -> StoredLimit:
    return StoredLimit(limit=limit_from_row(row), **bookkeeping(row))


class PgJobTypeLimits(JobTypeLimits):
    """The job_type_limits table; the slots in use are counted from the running jobs."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def all_limits(self) -> list[StoredLimit]:
        return [_stored(row) for row in await self._db.fetch(_STATEMENTS.all)]

    async def put(self, limit: JobTypeLimit, now: datetime, actor: str) -> StoredLimit:
        row = await self._db.fetchrow(
            _STATEMENTS.put,
            *put_arguments(limit.job_type, limit.concurrency, limit.rate),
            now,
            actor,
        )
        return _stored(row)

    async def remove(self, job_type: str) -> StoredLimit | None:
        row = await self._db.fetchrow(_STATEMENTS.remove, job_type)
        return None if row is None else _stored(row)
