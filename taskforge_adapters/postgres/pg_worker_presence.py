"""Worker presence in the `workers` table, on PostgreSQL's clock."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports import WorkerIdentity, WorkerPresence, WorkerSeen

_WORKER_COLUMNS = (
    "name, incarnation, host, pid, queues, started_at, last_seen_at, in_flight, retired_at,"
    " queue_weights"
)

# The name is taken over only from a holder silent for longer than the liveness, or
# already retired: two live processes can never hold one name.
_TAKE_NAME = f"""
INSERT INTO workers AS w (name, incarnation, host, pid, queues, started_at, last_seen_at,
                          queue_weights)
VALUES ($1, $2, $3, $4, $5, now(), now(), $7)
ON CONFLICT (name) DO UPDATE
SET incarnation = excluded.incarnation, host = excluded.host, pid = excluded.pid,
    queues = excluded.queues, queue_weights = excluded.queue_weights,
    started_at = excluded.started_at,
    last_seen_at = excluded.last_seen_at, in_flight = 0, retired_at = NULL
WHERE w.incarnation = excluded.incarnation OR w.retired_at IS NOT NULL
   OR w.last_seen_at < now() - $6::interval
RETURNING {_WORKER_COLUMNS}
"""

_HOLDER = f"SELECT {_WORKER_COLUMNS} FROM workers WHERE name = $1"

# Rows are locked in id order, as every statement that writes several jobs takes them
# (pg_job_repository says why that order rules out a deadlock).
_CUT_LEASES_OF_NAMES = """
UPDATE jobs SET lease_expires_at = LEAST(lease_expires_at, $2)
WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND worker = ANY($1::text[])
             ORDER BY id FOR NO KEY UPDATE)
  AND status = 'running'
"""

_ANNOUNCE = """
UPDATE workers SET last_seen_at = now(), in_flight = $3
WHERE name = $1 AND incarnation = $2 AND retired_at IS NULL
"""

_LIVE = f"""
SELECT {_WORKER_COLUMNS} FROM workers
WHERE retired_at IS NULL AND last_seen_at >= now() - $1::interval
ORDER BY name
"""

_RETIRE_SILENT = f"""
UPDATE workers SET retired_at = now()
WHERE retired_at IS NULL AND last_seen_at < now() - $1::interval
RETURNING {_WORKER_COLUMNS}
"""

_RETIRED = f"SELECT {_WORKER_COLUMNS} FROM workers WHERE retired_at IS NOT NULL ORDER BY name"

# Still retired and still that incarnation: a worker that took the name meanwhile keeps
# its attempts.
_CUT_LEASES_OF_RETIRED = """
UPDATE jobs SET lease_expires_at = LEAST(lease_expires_at, $2)
WHERE id IN (SELECT j.id FROM jobs AS j JOIN workers AS w ON w.name = j.worker
             WHERE j.status = 'running' AND w.retired_at IS NOT NULL
               AND w.name = ANY($1::text[])
             ORDER BY j.id FOR NO KEY UPDATE OF j)
  AND status = 'running'
"""

_FORGET = """
DELETE FROM workers AS w
USING unnest($1::text[], $2::uuid[]) AS gone(name, incarnation)
WHERE w.name = gone.name AND w.incarnation = gone.incarnation AND w.retired_at IS NOT NULL
"""

_LEAVE = "DELETE FROM workers WHERE name = $1 AND incarnation = $2"


def _worker_from_row(row: Mapping[str, Any]) -> WorkerSeen:
    return WorkerSeen(
        name=row["name"],
        incarnation=row["incarnation"],
        host=row["host"],
        pid=row["pid"],
        queues=tuple(row["queues"]),
        started_at=row["started_at"],
        last_seen_at=row["last_seen_at"],
        in_flight=row["in_flight"],
        retired_at=row["retired_at"],
        queue_weights=tuple(row["queue_weights"]),
    )


class PgWorkerPresence(WorkerPresence):
    """Every statement runs through ConflictRetry, like the job store's: each is one
    autocommit statement, or registration's one transaction, and safe to run again."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._db = ConflictRetry(pool)

    async def register(self, worker: WorkerIdentity, liveness: timedelta) -> WorkerSeen:
        return await self._db.run(lambda: self._register(worker, liveness))

    async def _register(self, worker: WorkerIdentity, liveness: timedelta) -> WorkerSeen:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                _TAKE_NAME,
                worker.name,
                worker.incarnation,
                worker.host,
                worker.pid,
                list(worker.queues),
                liveness,
                list(worker.queue_weights),
            )
            if row is None:
                return _worker_from_row(await conn.fetchrow(_HOLDER, worker.name))
            # This run has claimed nothing yet: every attempt under the name is an earlier
            # run's, and none of them runs any more.
            await conn.execute(_CUT_LEASES_OF_NAMES, [worker.name], row["started_at"])
            return _worker_from_row(row)

    async def announce(self, worker: WorkerIdentity, in_flight: int) -> bool:
        status = await self._db.execute(_ANNOUNCE, worker.name, worker.incarnation, in_flight)
        return bool(status == "UPDATE 1")

    async def live(self, liveness: timedelta) -> list[WorkerSeen]:
        return [_worker_from_row(row) for row in await self._db.fetch(_LIVE, liveness)]

    async def retire_silent(self, liveness: timedelta, cut_leases_to: datetime) -> list[WorkerSeen]:
        await self._db.execute(_RETIRE_SILENT, liveness)
        retired = [_worker_from_row(row) for row in await self._db.fetch(_RETIRED)]
        if retired:
            names = [worker.name for worker in retired]
            await self._db.execute(_CUT_LEASES_OF_RETIRED, names, cut_leases_to)
        return retired

    async def forget(self, workers: Sequence[WorkerSeen]) -> None:
        if not workers:
            return
        await self._db.execute(
            _FORGET,
            [worker.name for worker in workers],
            [worker.incarnation for worker in workers],
        )

    async def leave(self, worker: WorkerIdentity) -> None:
        await self._db.execute(_LEAVE, worker.name, worker.incarnation)
