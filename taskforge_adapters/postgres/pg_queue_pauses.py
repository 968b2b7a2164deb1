from collections.abc import Mapping
from typing import Any

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.queue_pauses import QueuePause, QueuePauses, RunningAttempts
from taskforge_domain.job_status import JobStatus

_PAUSE = """
INSERT INTO queue_pauses (queue, paused_at, paused_by) VALUES ($1, $2, $3)
ON CONFLICT (queue) DO NOTHING
RETURNING queue, paused_at, paused_by
"""
_RESUME = "DELETE FROM queue_pauses WHERE queue = $1 RETURNING queue, paused_at, paused_by"
_PAUSED = "SELECT queue, paused_at, paused_by FROM queue_pauses ORDER BY queue"

# jobs_running_lease_idx holds exactly the running jobs, so this reads no other row.
_RUNNING = f"""
SELECT queue, count(*) AS count FROM jobs
WHERE status = '{JobStatus.RUNNING.value}'
GROUP BY queue
"""


def _pause(row: Any) -> QueuePause:
    return QueuePause(row["queue"], row["paused_at"], row["paused_by"])


class PgQueuePauses(QueuePauses, RunningAttempts):
    """Table `queue_pauses`: one row per paused queue."""

    def __init__(self, pool: Any) -> None:
        self._db = ConflictRetry(pool)

    async def pause(self, pause: QueuePause) -> QueuePause | None:
        row = await self._db.fetchrow(_PAUSE, pause.queue, pause.paused_at, pause.paused_by)
        return None if row is None else _pause(row)

    async def resume(self, queue: str) -> QueuePause | None:
        row = await self._db.fetchrow(_RESUME, queue)
        return None if row is None else _pause(row)

    async def paused(self) -> list[QueuePause]:
        return [_pause(row) for row in await self._db.fetch(_PAUSED)]

    async def running_by_queue(self) -> Mapping[str, int]:
        rows = await self._db.fetch(_RUNNING)
        return {row["queue"]: row["count"] for row in rows}
