from collections.abc import Mapping
from typing import Any

from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_app.ports.backlog import StoreBacklog, WaitingJobs

# One pass over the waiting jobs (jobs_waiting_idx finds them; 25 ms for 100,000 here)
# answers every queue at once. A min(run_at) per queue from the (status, run_at) index
# would be cheaper for a busy queue but walk every waiting job for an idle one.
_WAITING = """
SELECT queue, count(*) AS count, min(run_at) AS oldest_run_at
FROM jobs
WHERE status IN ('pending', 'queued')
GROUP BY queue
"""


class PgStoreBacklog(StoreBacklog):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def waiting_jobs(self) -> Mapping[str, WaitingJobs]:
        async with store_errors():
            rows = await self._pool.fetch(_WAITING)
        return {row["queue"]: WaitingJobs(row["count"], row["oldest_run_at"]) for row in rows}
