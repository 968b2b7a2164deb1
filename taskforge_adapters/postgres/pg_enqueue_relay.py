"""The relay's side of taskforge_enqueue() (migration 010): the relay table, whose rows
a relay holds for the length of one transaction, and the settings table.

The batch's transaction keeps to the rules of pg_job_repository: it locks only relay
rows, which nobody else locks but another relay, and that one skips them; the mark takes
only job rows nobody holds (SKIP LOCKED), so it never waits. A job a claim holds at that
instant is running already, and keeps its status.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from taskforge_adapters.postgres.job_change_notices import NOTIFIED, notify_changed
from taskforge_adapters.postgres.job_rows import COLUMNS, job_from_row
from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_app.ports import EnqueuedJobs, EnqueueRules, RelayBatch
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus

# The relay rows first, oldest first along the primary key (ids are time-ordered): an
# index scan skips the entries of rows already relayed, where a heap scan would read
# every dead row a burst left until vacuum comes. Then their jobs by primary key, the
# ARRAY(...) hiding how many, as in pg_job_repository: joined directly, the planner
# hashed or merged the whole jobs table against them (stale statistics of a small, busy
# table), 8 ms a batch with 30,000 jobs. A relay row whose job is gone (no foreign key:
# its check cost every enqueue) comes back with no job, and is released.
_TAKE = f"""
WITH taken AS MATERIALIZED (
    SELECT job_id FROM job_enqueue_relay ORDER BY job_id LIMIT $1 FOR UPDATE SKIP LOCKED)
SELECT taken.job_id AS relay_id, j.* FROM taken
LEFT JOIN (SELECT {COLUMNS} FROM jobs WHERE id = ANY(ARRAY(SELECT job_id FROM taken))) AS j
       ON j.id = taken.job_id
ORDER BY taken.job_id
"""

# The relay's commit need not wait for the disk: lost in a crash, it only leaves its
# batch noted, to be published again (a duplicate message the claim skips) and marked
# again. Waiting cost each next batch the flush, most of a relay pass under load. Sent
# with BEGIN as one simple query: one round trip, as BEGIN alone.
_BEGIN = "BEGIN; SET LOCAL synchronous_commit TO off"

_PENDING = f"'{JobStatus.PENDING.value}'"

# Like the API's mark_queued: the revision moves and the change is announced, so a
# follower of a job enqueued in SQL sees it queued.
_HAND_OVER = f"""
WITH released AS (
    DELETE FROM job_enqueue_relay WHERE job_id = ANY($1::uuid[])
), free AS MATERIALIZED (
    SELECT id FROM jobs WHERE id = ANY($2::uuid[]) AND status = {_PENDING}
    FOR NO KEY UPDATE SKIP LOCKED), queued AS (
    UPDATE jobs SET status = '{JobStatus.QUEUED.value}', updated_at = $3,
        revision = jobs.revision + 1
    FROM free WHERE jobs.id = free.id AND jobs.status = {_PENDING}
    RETURNING jobs.id, jobs.revision, jobs.status
), {notify_changed("queued")}
SELECT count(*) FROM queued WHERE {NOTIFIED}
"""

_WRITE_RULES = """
INSERT INTO taskforge_enqueue_settings (only_row, queues, default_max_attempts,
                                        max_payload_bytes, updated_at)
VALUES (true, $1::text[], $2, $3, now())
ON CONFLICT (only_row) DO UPDATE
SET queues = EXCLUDED.queues, default_max_attempts = EXCLUDED.default_max_attempts,
    max_payload_bytes = EXCLUDED.max_payload_bytes, updated_at = EXCLUDED.updated_at
WHERE (taskforge_enqueue_settings.queues, taskforge_enqueue_settings.default_max_attempts,
       taskforge_enqueue_settings.max_payload_bytes)
      IS DISTINCT FROM (EXCLUDED.queues, EXCLUDED.default_max_attempts,
                        EXCLUDED.max_payload_bytes)
"""


class _PgRelayBatch(RelayBatch):
    def __init__(self, conn: Any, rows: list[Any]) -> None:
        self._conn = conn
        self._taken = [row["relay_id"] for row in rows]
        jobs = [job_from_row(row) for row in rows if row["id"] is not None]
        self._pending = [job for job in jobs if job.status is JobStatus.PENDING]

    @property
    def taken(self) -> int:
        return len(self._taken)

    @property
    def pending(self) -> Sequence[Job]:
        return self._pending

    async def hand_over(self, now: datetime) -> None:
        async with store_errors():
            await self._conn.execute(
                _HAND_OVER, self._taken, [job.id for job in self._pending], now
            )


class PgEnqueuedJobs(EnqueuedJobs):
    """Relay batches as transactions on a connection of the shared pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @asynccontextmanager
    async def take(self, limit: int) -> AsyncIterator[RelayBatch]:
        async with store_errors(), self._pool.acquire() as conn:
            await conn.execute(_BEGIN)
            try:
                batch = _PgRelayBatch(conn, await conn.fetch(_TAKE, limit))
                yield batch
            except BaseException:
                if not conn.is_closed():
                    await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def write_rules(self, rules: EnqueueRules) -> None:
        async with store_errors():
            await self._pool.execute(
                _WRITE_RULES,
                list(rules.queues),
                rules.default_max_attempts,
                rules.max_payload_bytes,
            )
