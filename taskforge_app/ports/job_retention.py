from datetime import datetime
from typing import Protocol

from taskforge_domain.job_status import JobStatus


class FinishedJobs(Protocol):
    """Deletion of finished jobs past their retention.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def delete_finished(
        self, status: JobStatus, finished_before: datetime, limit: int
    ) -> int:
        """Delete up to `limit` jobs in a finished status that finished before the given
        time, skipping rows others hold; return how many went."""
        ...
