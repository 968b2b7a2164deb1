from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job


class JobRevisions(Protocol):
    """Compare-and-set of one job, for an operator's change (cancel, replay).

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def get(self, job_id: UUID) -> Job | None:
        """The job with this id, or None."""
        ...

    async def replace(self, changed: Job, expected: Job) -> Job | None:
        """Write an operator's change if the job is still as `expected` (same status and
        attempt); None when it moved on in the meantime."""
        ...
