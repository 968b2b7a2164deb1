"""The system of record's statements, and the order they take job rows in.

PostgreSQL deadlocks when statements wait on each other's row locks in a cycle. Every
statement here is one autocommit statement, so it holds its locks only until it ends,
and a cycle needs each of its members to hold one row while waiting for another:

- The multi-row writers that wait (claim, record_outcomes, extend_leases,
  mark_dead_lettered) first lock their rows in id order (`_LOCKED_IN_ID_ORDER`), and
  only then write. A statement waits only for a row above every row it holds, so a chain
  of waits climbs in id order and cannot close: not between two workers' claims
  (duplicate messages for one job included), not between a worker's outcomes and its
  own lease renewal on another connection, not between the reaper's outcomes and a
  worker's.
- mark_queued, promote_due and delete_finished never wait: they take only rows nobody
  holds (SKIP LOCKED). Waiting is unsafe even among `pending` rows: a statement that
  finds a row changed since its snapshot locks the new version before it re-checks it,
  so mark_queued held rows that a claim had made `running` and an outcome write wanted
  (the deadlock seen under load). A `pending` row it skips is held by a claim that moves
  it on anyway, or by a single-row change; one left `pending` is republished by the
  repair pass, and the claim accepts `pending`.
- replace (cancel, replay) writes one row: while it waits it holds nothing.
- The worker presence statements (pg_worker_presence) that cut a silent worker's
  leases lock its jobs in id order too; registration's transaction holds only its own
  `workers` row besides, which no statement on jobs ever locks.
- insert_many creates rows no other statement can see before it commits, so only another
  insert waits for it, on an idempotency key both insert; keys are inserted in sorted
  order, so those waits climb too.

A write added here must keep to one of these rules. If a conflict still happens (a
statement from outside Taskforge), ConflictRetry runs the statement again. A write that
changes a job's status also bumps its revision and announces it (job_change_notices).
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg.exceptions as pg
import msgspec

from taskforge_adapters.postgres.job_change_notices import (
    NOTIFIED,
    OUTCOMES_NOTIFIED,
    notify_changed,
    notify_outcomes,
)
from taskforge_adapters.postgres.job_listing import (
    estimate_statement,
    is_search,
    job_listing,
    search_listings,
)
from taskforge_adapters.postgres.job_rows import COLUMNS, job_from_row
from taskforge_adapters.postgres.limit_rows import UNLIMITED_ONLY
from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports import (
    Attempt,
    AttemptLedger,
    DeadLetterRecords,
    DeliveryRecords,
    FinishedJobs,
    JobIntake,
    JobLookup,
    JobQuery,
    JobRevisions,
    LeaseRenewal,
    Probe,
    UnstorablePayload,
)
from taskforge_app.ports.job_count_estimates import JobCountEstimates
from taskforge_domain.job import Job
from taskforge_domain.job_status import (
    CLAIMABLE_STATUSES,
    TIMED_STATUSES,
    WAITING_STATUSES,
    JobStatus,
)

# A new row holds exactly what was sent, so only ids come back: decoding a thousand
# full rows was a third of a batch submit's database time.
_INSERT_MANY = """
INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts, idempotency_key,
                  run_at, created_at, updated_at, queue, callback_url)
SELECT id, job_type, payload::jsonb, status, 0, max_attempts, idempotency_key, run_at, $6, $6,
       queue, callback_url
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $7::text[],
            $8::timestamptz[], $9::text[], $10::text[])
     AS new(id, job_type, payload, max_attempts, idempotency_key, status, run_at, queue,
            callback_url)
ORDER BY idempotency_key
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id
"""

_BY_KEYS = f"SELECT {COLUMNS} FROM jobs WHERE idempotency_key = ANY($1::text[])"

_BY_ID = f"SELECT {COLUMNS} FROM jobs WHERE id = $1"

_PENDING = f"'{JobStatus.PENDING.value}'"

_MARK_QUEUED = f"""
WITH free AS MATERIALIZED (
    SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND status = {_PENDING}
    FOR NO KEY UPDATE SKIP LOCKED), queued AS (
    UPDATE jobs SET status = '{JobStatus.QUEUED.value}', updated_at = $2,
        revision = jobs.revision + 1
    FROM free WHERE jobs.id = free.id AND jobs.status = {_PENDING}
    RETURNING jobs.id, jobs.revision, jobs.status
), {notify_changed("queued")}
SELECT count(*) FROM queued WHERE {NOTIFIED}
"""


def _sql_list(statuses: frozenset[JobStatus]) -> str:
    """Statuses as SQL literals, so a statement matches the partial indexes on them."""
    return ", ".join(sorted(f"'{status.value}'" for status in statuses))


_RUNNING = f"'{JobStatus.RUNNING.value}'"


# The rows of $1, locked in id order before the write touches any: the order that keeps
# concurrent batches from deadlocking (module docstring). Whatever their status: a row
# the write then skips is held only until the statement ends. ARRAY(SELECT unnest(...))
# hides the batch's size, so the planner probes the primary key instead of scanning a
# small table whose every row matches.
_LOCKED_IN_ID_ORDER = """locked AS MATERIALIZED (
    SELECT id FROM jobs WHERE id = ANY(ARRAY(SELECT unnest($1::uuid[])))
    ORDER BY id FOR NO KEY UPDATE)"""

# Either condition evaluates `locked` whole, so every lock is taken before the first row
# is written. A write by id list takes its rows from the locked ids; a write joined with
# unnest counts them instead, which keeps its hash join: the forms that joined `locked`
# made the planner update in id order and cost the one-worker drain a third of its rate.
_IS_LOCKED = "id = ANY(ARRAY(SELECT id FROM locked))"
_ALL_LOCKED = "(SELECT count(*) FROM locked) > 0"


# Job.start, applied to the jobs of the batch whose status the transition table lets
# start; one statement, the rows it returns are the started jobs. Reading the rows first
# to run Job.start in Python cost the one-worker drain about 13 % in paired runs.
CLAIM_TEMPLATE = f"""
WITH {_LOCKED_IN_ID_ORDER}, claimed AS (
    UPDATE jobs
    SET status = {_RUNNING}, attempt = attempt + 1,
        lease_expires_at = $2::timestamptz + $3::interval,
        started_at = $2, updated_at = $2, worker = $4, cancel_requested_at = NULL,
        revision = revision + 1, progress = NULL, progress_message = NULL
    WHERE {_IS_LOCKED} AND status IN ({_sql_list(CLAIMABLE_STATUSES)}) {{types}}
    RETURNING {COLUMNS}
), {notify_changed("claimed")}
SELECT * FROM claimed WHERE {NOTIFIED}
"""

# Only jobs under no limit: PgLimitedClaims starts the others, one claim at a time.
_CLAIM = CLAIM_TEMPLATE.format(types=UNLIMITED_ONLY)

_RUNNING_BY_IDS = f"SELECT {COLUMNS} FROM jobs WHERE id = ANY($1::uuid[]) AND status = {_RUNNING}"


def record_outcomes_statement(*, counted_per_queue: bool = True) -> str:
    """Writes each outcome as the domain decided it, guarded on the job still being as the
    decision saw it: running that attempt, with or without a cancel request. The
    per-queue outcome notice can be left out only to measure what it costs
    (`python -m bench outcome-notice`)."""
    counts = f", {notify_outcomes('finished')}" if counted_per_queue else ""
    counted = f" AND {OUTCOMES_NOTIFIED}" if counted_per_queue else ""
    return f"""
WITH {_LOCKED_IN_ID_ORDER}, finished AS (
    UPDATE jobs AS j
    SET status = o.status, result = o.result::jsonb, last_error = o.last_error,
        run_at = o.run_at, lease_expires_at = NULL, updated_at = o.updated_at,
        revision = j.revision + 1
    FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                $7::timestamptz[], $8::bool[], $9::bool[])
         AS o(id, attempt, status, result, last_error, run_at, updated_at, cancel_requested,
              keep_history)
    WHERE j.id = o.id AND {_ALL_LOCKED} AND j.status = {_RUNNING} AND j.attempt = o.attempt
      AND (j.cancel_requested_at IS NOT NULL) = o.cancel_requested
      AND ($10::timestamptz IS NULL OR j.lease_expires_at < $10)
    RETURNING j.id, j.attempt, j.worker, j.started_at, j.updated_at, j.status, j.last_error,
              o.keep_history, j.revision, j.queue
), history AS (
    INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, outcome, error)
    SELECT id, attempt, worker, started_at, updated_at, status, last_error FROM finished
    WHERE keep_history
    ON CONFLICT (job_id, attempt) DO NOTHING
), {notify_changed("finished")}{counts}
SELECT id FROM finished WHERE {NOTIFIED}{counted}
"""


_RECORD_OUTCOMES = record_outcomes_statement()


def outcome_columns(outcomes: Sequence[Job]) -> tuple[list[Any], ...]:
    """The outcomes as the statement's column arrays, $1 to $9."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [], [])
    for job in outcomes:
        result = None if job.result is None else _encode_json(job.result).decode()
        values = (
            job.id,
            job.attempt,
            job.status.value,
            result,
            job.last_error,
            job.run_at,
            job.updated_at,
            job.cancel_requested_at is not None,
            not job.attempt_recorded_in_row,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


_EXTEND_LEASES = f"""
WITH {_LOCKED_IN_ID_ORDER}
UPDATE jobs AS j SET lease_expires_at = $3::timestamptz + $4::interval
FROM unnest($1::uuid[], $2::int[]) AS a(id, attempt)
WHERE j.id = a.id AND {_ALL_LOCKED} AND j.status = {_RUNNING} AND j.attempt = a.attempt
RETURNING j.id, j.cancel_requested_at IS NOT NULL AS cancel_requested
"""

_REPLACE = f"""
WITH replaced AS (
    UPDATE jobs SET status = $4, max_attempts = $5, run_at = $6, last_error = $7,
        cancel_requested_at = $8, replays = $9, updated_at = $10,
        dead_lettered_at = CASE WHEN $4 = 'dead' THEN dead_lettered_at END,
        revision = revision + CASE WHEN status = $4 THEN 0 ELSE 1 END
    WHERE id = $1 AND status = $2 AND attempt = $3
    RETURNING {COLUMNS}
), {notify_changed("replaced")}
SELECT * FROM replaced WHERE {NOTIFIED}
"""

# A job finishes after it is created, so created_at < cutoff narrows the scan on the
# (status, created_at, id) index without an index of its own on updated_at.
_DELETE_FINISHED = """
DELETE FROM jobs WHERE id IN (
    SELECT id FROM jobs WHERE status = $1 AND created_at < $2 AND updated_at < $2
    LIMIT $3 FOR UPDATE SKIP LOCKED)
"""

_ATTEMPTS = """
SELECT attempt, worker, started_at, finished_at, outcome, error
FROM job_attempts WHERE job_id = $1 ORDER BY attempt
"""

_FIND_EXPIRED = f"""
SELECT {COLUMNS} FROM jobs
WHERE status = 'running' AND lease_expires_at < $1
ORDER BY lease_expires_at LIMIT $2
"""

_FIND_WAITING = f"""
SELECT {COLUMNS} FROM jobs
WHERE status IN ({_sql_list(WAITING_STATUSES)}) AND updated_at < $1
  AND ($3::timestamptz IS NULL OR (updated_at, id) > ($3, $4::uuid))
ORDER BY updated_at, id LIMIT $2
"""

_WAITING_AMONG = f"""
SELECT {COLUMNS} FROM jobs
WHERE id = ANY($1::uuid[]) AND status IN ({_sql_list(WAITING_STATUSES)})
"""

_FIND_DEAD_NOT_LETTERED = f"""
SELECT {COLUMNS} FROM jobs
WHERE status = 'dead' AND dead_lettered_at IS NULL AND updated_at < $1
ORDER BY updated_at LIMIT $2
"""

_DEAD = f"'{JobStatus.DEAD.value}'"

_MARK_DEAD_LETTERED = f"""
WITH {_LOCKED_IN_ID_ORDER}
UPDATE jobs SET dead_lettered_at = $2 WHERE {_IS_LOCKED} AND status = {_DEAD}
"""

# MATERIALIZED: selected once. As a plain IN (subquery) the planner may re-run the
# LIMIT per row, and each re-run skips rows already updated: the limit stops holding.
_PROMOTE_DUE = f"""
WITH due AS MATERIALIZED (
    SELECT id FROM jobs WHERE status IN ({_sql_list(TIMED_STATUSES)}) AND run_at <= $1
    ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED), promoted AS (
    UPDATE jobs SET status = '{JobStatus.QUEUED.value}', updated_at = $1,
        revision = jobs.revision + 1
    FROM due WHERE jobs.id = due.id AND jobs.status IN ({_sql_list(TIMED_STATUSES)})
    RETURNING {", ".join(f"jobs.{c}" for c in COLUMNS.split(", "))}
), {notify_changed("promoted")}
SELECT * FROM promoted WHERE {NOTIFIED}
"""

_encode_json = msgspec.json.Encoder().encode


@asynccontextmanager
async def _payload_errors() -> AsyncIterator[None]:
    try:
        yield
    except (pg.UntranslatableCharacterError, pg.CharacterNotInRepertoireError) as exc:
        raise UnstorablePayload(f"payload cannot be stored: {exc}") from exc
    except UnicodeEncodeError as exc:
        raise UnstorablePayload(f"payload is not valid Unicode text: {exc.reason}") from exc


class PgJobRepository(
    JobIntake,
    JobLookup,
    JobCountEstimates,
    JobRevisions,
    AttemptLedger,
    DeliveryRecords,
    DeadLetterRecords,
    FinishedJobs,
    Probe,
):
    """Every role of the system of record, one atomic statement per method."""

    def __init__(self, pool: Any) -> None:
        self._db = ConflictRetry(pool)

    async def insert_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        if not jobs:
            return []
        async with _payload_errors():
            rows = await self._db.fetch(
                _INSERT_MANY,
                [job.id for job in jobs],
                [job.job_type for job in jobs],
                [_encode_json(job.payload).decode() for job in jobs],
                [job.max_attempts for job in jobs],
                [job.idempotency_key for job in jobs],
                jobs[0].created_at,
                [job.status.value for job in jobs],
                [job.run_at for job in jobs],
                [job.queue for job in jobs],
                [job.callback_url for job in jobs],
            )
            inserted = {row["id"] for row in rows}
            known_keys = [
                job.idempotency_key
                for job in jobs
                if job.id not in inserted and job.idempotency_key is not None
            ]
            # Those keys' first jobs committed before this insert looked; this read sees them.
            existing = await self._db.fetch(_BY_KEYS, known_keys) if known_keys else []
        by_key = {row["idempotency_key"]: job_from_row(row) for row in existing}
        return [
            (job, True) if job.id in inserted else (by_key[job.idempotency_key], False)
            for job in jobs
        ]

    async def get(self, job_id: UUID) -> Job | None:
        row = await self._db.fetchrow(_BY_ID, job_id)
        return job_from_row(row) if row is not None else None

    async def mark_queued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        await self._db.execute(_MARK_QUEUED, job_ids, now)

    async def claim(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> list[Job]:
        return await self._fetch_jobs(_CLAIM, job_ids, now, lease, worker)

    async def running(self, job_ids: Sequence[UUID]) -> list[Job]:
        return await self._fetch_jobs(_RUNNING_BY_IDS, job_ids)

    async def record_outcomes(
        self, outcomes: Sequence[Job], *, lease_expired_before: datetime | None = None
    ) -> set[UUID]:
        rows = await self._db.fetch(
            _RECORD_OUTCOMES, *outcome_columns(outcomes), lease_expired_before
        )
        return {row["id"] for row in rows}

    async def extend_leases(
        self, attempts: Sequence[tuple[UUID, int]], now: datetime, lease: timedelta
    ) -> LeaseRenewal:
        ids = [job_id for job_id, _ in attempts]
        numbers = [attempt for _, attempt in attempts]
        rows = await self._db.fetch(_EXTEND_LEASES, ids, numbers, now, lease)
        return LeaseRenewal(
            held={row["id"] for row in rows},
            cancel_requested={row["id"] for row in rows if row["cancel_requested"]},
        )

    async def replace(self, changed: Job, expected: Job) -> Job | None:
        row = await self._db.fetchrow(
            _REPLACE,
            expected.id,
            expected.status.value,
            expected.attempt,
            changed.status.value,
            changed.max_attempts,
            changed.run_at,
            changed.last_error,
            changed.cancel_requested_at,
            changed.replays,
            changed.updated_at,
        )
        return job_from_row(row) if row is not None else None

    async def list_jobs(self, query: JobQuery) -> list[Job]:
        if not is_search(query):
            sql, args = job_listing(query)
            return await self._fetch_jobs(sql, *args)
        (recent, recent_args), (indexed, indexed_args) = search_listings(query)
        page = await self._fetch_jobs(recent, *recent_args)
        if len(page) == query.limit:
            return page
        return await self._fetch_jobs(indexed, *indexed_args)

    async def estimate_matching(self, query: JobQuery) -> int:
        sql, args = estimate_statement(query)
        # EXPLAIN answers json, which the pool's codec has decoded already.
        [plan] = await self._db.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
        return int(plan["Plan"]["Plan Rows"])

    async def attempts(self, job_id: UUID) -> list[Attempt]:
        rows = await self._db.fetch(_ATTEMPTS, job_id)
        return [Attempt(**dict(row)) for row in rows]

    async def find_expired_leases(self, now: datetime, limit: int) -> list[Job]:
        return await self._fetch_jobs(_FIND_EXPIRED, now, limit)

    async def find_waiting(
        self, updated_before: datetime, limit: int, after: tuple[datetime, UUID] | None = None
    ) -> list[Job]:
        after_at, after_id = after or (None, None)
        return await self._fetch_jobs(_FIND_WAITING, updated_before, limit, after_at, after_id)

    async def waiting_among(self, job_ids: Sequence[UUID]) -> list[Job]:
        return await self._fetch_jobs(_WAITING_AMONG, job_ids)

    async def find_dead_not_lettered(self, updated_before: datetime, limit: int) -> list[Job]:
        return await self._fetch_jobs(_FIND_DEAD_NOT_LETTERED, updated_before, limit)

    async def mark_dead_lettered(self, job_ids: Sequence[UUID], now: datetime) -> None:
        await self._db.execute(_MARK_DEAD_LETTERED, job_ids, now)

    async def _fetch_jobs(self, query: str, *args: Any) -> list[Job]:
        rows = await self._db.fetch(query, *args)
        return [job_from_row(row) for row in rows]

    async def promote_due(self, now: datetime, limit: int) -> list[Job]:
        return await self._fetch_jobs(_PROMOTE_DUE, now, limit)

    async def delete_finished(
        self, status: JobStatus, finished_before: datetime, limit: int
    ) -> int:
        if not status.is_terminal:
            raise ValueError(f"only finished jobs are deleted, not {status.value} ones")
        result = await self._db.execute(_DELETE_FINISHED, status.value, finished_before, limit)
        return int(result.split()[-1])

    async def ping(self) -> None:
        await self._db.fetchval("SELECT 1", seconds=2)
