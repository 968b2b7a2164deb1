"""Claims of limited job types: one transaction per batch that takes turns per type.

PostgreSQL's READ COMMITTED gives each statement a fresh snapshot, so locking the types'
limit rows first and only then counting their running attempts counts every attempt an
earlier claim of those types started: that claim committed before it let go of the rows.
Attempts ending meanwhile only free slots, so the count never undercounts. The order
keeps the rules of pg_job_repository: limit rows are locked in job_type order and before
any job row, job rows in id order, all of them at once before anything is written, and no
statement that holds a job row ever waits for a limit row.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from taskforge_adapters.postgres.job_change_notices import NOTIFIED, notify_changed
from taskforge_adapters.postgres.job_rows import COLUMNS, job_from_row
from taskforge_adapters.postgres.limit_rows import LIMIT_COLUMNS, bucket_from_row, limit_from_row
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_adapters.postgres.pg_job_repository import CLAIM_TEMPLATE
from taskforge_app.ports.job_type_limits import LimitedClaim, LimitedClaims, StartsDue
from taskforge_domain.job_status import CLAIMABLE_STATUSES, JobStatus
from taskforge_domain.job_type_limit import HoldReason, TokenBucket, admit

_CLAIMABLE = ", ".join(sorted(f"'{status.value}'" for status in CLAIMABLE_STATUSES))

_LOCK_LIMITS = f"""
SELECT {LIMIT_COLUMNS} FROM job_type_limits
WHERE job_type IN (
    SELECT job_type FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ({_CLAIMABLE}))
ORDER BY job_type FOR UPDATE
"""

_LOCK_CANDIDATES = f"""
SELECT id, job_type FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ({_CLAIMABLE})
ORDER BY id FOR NO KEY UPDATE
"""

_RUNNING = """
SELECT job_type, count(*) AS running FROM jobs
WHERE status = 'running' AND job_type = ANY($1::text[]) GROUP BY job_type
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

_SPEND = """
UPDATE job_type_limits AS l SET tokens = b.tokens, refilled_at = b.refilled_at
FROM unnest($1::text[], $2::float8[], $3::timestamptz[]) AS b(job_type, tokens, refilled_at)
WHERE l.job_type = b.job_type
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
            limits = {row["job_type"]: row for row in await conn.fetch(_LOCK_LIMITS, ids)}
            candidates = await conn.fetch(_LOCK_CANDIDATES, ids)
            if not candidates:
                return LimitedClaim([], [])
            running = {
                row["job_type"]: row["running"] for row in await conn.fetch(_RUNNING, list(limits))
            }
            order = {job_id: index for index, job_id in enumerate(ids)}
            by_type: dict[str, list[UUID]] = {}
            for row in sorted(candidates, key=lambda row: order[row["id"]]):
                by_type.setdefault(row["job_type"], []).append(row["id"])
            decision = _decide(by_type, limits, running, now)
            start, hold, spend = decision.start, decision.hold, decision.spend
            started = await conn.fetch(_CLAIM, start, now, lease, worker) if start else []
            held = (
                await conn.fetch(
                    _HOLD_BACK,
                    [held.job_id for held in hold],
                    [held.until for held in hold],
                    now,
                    [held.reason.value for held in hold],
                )
                if hold
                else []
            )
            if spend:
                await conn.execute(
                    _SPEND,
                    list(spend),
                    [bucket.tokens for bucket in spend.values()],
                    [bucket.refilled_at for bucket in spend.values()],
                )
        return LimitedClaim(
            [job_from_row(row) for row in started],
            [job_from_row(row) for row in held],
            decision.starts_due if held else [],
        )


@dataclass(frozen=True, slots=True)
class _Hold:
    job_id: UUID
    until: datetime
    reason: HoldReason


@dataclass(slots=True)
class _Decision:
    start: list[UUID] = field(default_factory=list)
    hold: list[_Hold] = field(default_factory=list)
    spend: dict[str, TokenBucket] = field(default_factory=dict)
    """Each rate's bucket after the starts."""
    starts_due: list[StartsDue] = field(default_factory=list)


def _decide(
    by_type: dict[str, list[UUID]],
    limits: dict[str, Any],
    running: dict[str, int],
    now: datetime,
) -> _Decision:
    """Which jobs start, which wait, for what and until when."""
    decision = _Decision()
    for job_type, wanted in by_type.items():
        row = limits.get(job_type)
        if row is None:
            # Its limit went away since the ledger's claim looked: nothing holds it back.
            decision.start += wanted
            continue
        limit = limit_from_row(row)
        bucket = bucket_from_row(row)
        if bucket is not None and limit.rate is not None:
            bucket = bucket.refilled(limit.rate, now)
        admission = admit(limit, running.get(job_type, 0), bucket, now, len(wanted))
        decision.start += wanted[: admission.starts]
        waiting = wanted[admission.starts :]
        decision.hold += [_Hold(i, admission.retry_at, admission.waits_for) for i in waiting]
        if waiting and admission.waits_for is HoldReason.RATE:
            decision.starts_due.append(
                StartsDue(job_type, admission.retry_at, admission.starts_due)
            )
        if bucket is not None:
            decision.spend[job_type] = bucket.spent(admission.starts)
    return decision
