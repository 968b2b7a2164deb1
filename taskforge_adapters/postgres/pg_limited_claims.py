"""Claims of jobs under a limit: one transaction per batch that takes turns per limit.

PostgreSQL's READ COMMITTED gives each statement a fresh snapshot, so locking the limit
rows first and only then counting their running attempts counts every attempt an
earlier claim under those limits started: that claim committed before it let go of the
rows. Attempts ending meanwhile only free slots, so the count never undercounts. The
order keeps the rules of pg_job_repository: type limit rows are locked in job_type
order, then queue limit rows in queue order, all before any job row; job rows in id
order, all of them at once before anything is written; and no statement that holds a
job row ever waits for a limit row.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from taskforge_adapters.postgres.job_change_notices import NOTIFIED, notify_changed
from taskforge_adapters.postgres.job_rows import COLUMNS, job_from_row
from taskforge_adapters.postgres.limit_rows import (
    LIMIT_COLUMNS,
    QUEUE_LIMIT_COLUMNS,
    bucket_from_row,
    limit_from_row,
    queue_limit_from_row,
)
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_adapters.postgres.pg_job_repository import CLAIM_TEMPLATE
from taskforge_app.ports.job_type_limits import LimitedClaim, LimitedClaims
from taskforge_domain.job_status import CLAIMABLE_STATUSES, JobStatus
from taskforge_domain.limit_budget import Budget, Claimable, decide

_CLAIMABLE = ", ".join(sorted(f"'{status.value}'" for status in CLAIMABLE_STATUSES))


def _lock_limits(table: str, columns: str, key: str) -> str:
    return f"""
SELECT {columns} FROM {table}
WHERE {key} IN (SELECT {key} FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ({_CLAIMABLE}))
ORDER BY {key} FOR UPDATE
"""


def _running(key: str) -> str:
    return f"""
SELECT {key} AS key, count(*) AS running FROM jobs
WHERE status = 'running' AND {key} = ANY($1::text[]) GROUP BY {key}
"""


def _spend(table: str, key: str) -> str:
    return f"""
UPDATE {table} AS l SET tokens = b.tokens, refilled_at = b.refilled_at
FROM unnest($1::text[], $2::float8[], $3::timestamptz[]) AS b(key, tokens, refilled_at)
WHERE l.{key} = b.key
"""


_LOCK_TYPE_LIMITS = _lock_limits("job_type_limits", LIMIT_COLUMNS, "job_type")
_LOCK_QUEUE_LIMITS = _lock_limits("queue_limits", QUEUE_LIMIT_COLUMNS, "queue")

_LOCK_CANDIDATES = f"""
SELECT id, job_type, queue FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ({_CLAIMABLE})
ORDER BY id FOR NO KEY UPDATE
"""

_CLAIM = CLAIM_TEMPLATE.format(types="")

_HOLD_BACK = f"""
WITH held AS (
    UPDATE jobs AS j SET status = '{JobStatus.SCHEDULED.value}', run_at = h.run_at,
        held_back = h.reason, updated_at = $3, revision = j.revision + 1
    FROM unnest($1::uuid[], $2::timestamptz[], $4::text[]) AS h(id, run_at, reason)
    WHERE j.id = h.id AND j.status IN ({_CLAIMABLE})
    RETURNING {", ".join(f"j.{c}" for c in COLUMNS.split(", "))}
), {notify_changed("held")}
SELECT * FROM held WHERE {NOTIFIED}
"""


class PgLimitedClaims(LimitedClaims):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._retry = ConflictRetry(pool)

    async def claim_within_limits(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> LimitedClaim:
        ids = list(job_ids)
        return await self._retry.run(lambda: self._claim(ids, now, lease, worker))

    async def _claim(
        self, ids: list[UUID], now: datetime, lease: timedelta, worker: str
    ) -> LimitedClaim:
        async with self._pool.acquire() as conn, conn.transaction():
            type_rows = {row["job_type"]: row for row in await conn.fetch(_LOCK_TYPE_LIMITS, ids)}
            queue_rows = {row["queue"]: row for row in await conn.fetch(_LOCK_QUEUE_LIMITS, ids)}
            candidates = await conn.fetch(_LOCK_CANDIDATES, ids)
            if not candidates:
                return LimitedClaim([], [])
            by_type = await _budgets(conn, "job_type", type_rows, limit_from_row, now)
            by_queue = await _budgets(conn, "queue", queue_rows, queue_limit_from_row, now)
            order = {job_id: index for index, job_id in enumerate(ids)}
            claimable = [
                Claimable(row["id"], row["job_type"], row["queue"])
                for row in sorted(candidates, key=lambda row: order[row["id"]])
            ]
            decision = decide(claimable, by_type, by_queue, now)
            start, hold = decision.start, decision.hold
            started = await conn.fetch(_CLAIM, start, now, lease, worker) if start else []
            held = (
                await conn.fetch(
                    _HOLD_BACK,
                    [each.job_id for each in hold],
                    [each.until for each in hold],
                    now,
                    [each.reason.value for each in hold],
                )
                if hold
                else []
            )
            await _spend_buckets(conn, "job_type_limits", "job_type", by_type)
            await _spend_buckets(conn, "queue_limits", "queue", by_queue)
        return LimitedClaim(
            [job_from_row(row) for row in started],
            [job_from_row(row) for row in held],
            decision.rate_waits if held else [],
        )


async def _budgets(
    conn: Any, key: str, rows: dict[str, Any], limit_of: Any, now: datetime
) -> dict[str, Budget]:
    """Each locked limit's budget: its running attempts, its bucket refilled to now."""
    if not rows:
        return {}
    running = {row["key"]: row["running"] for row in await conn.fetch(_running(key), list(rows))}
    budgets: dict[str, Budget] = {}
    for name, row in rows.items():
        limit = limit_of(row)
        bucket = bucket_from_row(row)
        if bucket is not None and limit.rate is not None:
            bucket = bucket.refilled(limit.rate, now)
        budgets[name] = Budget.of(limit, running.get(name, 0), bucket)
    return budgets


async def _spend_buckets(conn: Any, table: str, key: str, budgets: dict[str, Budget]) -> None:
    spent = {name: b.spent_bucket() for name, b in budgets.items() if b.bucket is not None}
    buckets = [bucket for bucket in spent.values() if bucket is not None]
    if buckets:
        await conn.execute(
            _spend(table, key),
            list(spent),
            [bucket.tokens for bucket in buckets],
            [bucket.refilled_at for bucket in buckets],
        )
