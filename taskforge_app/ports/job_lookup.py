from typing import Protocol
from uuid import UUID

from taskforge_app.ports.job_queries import Attempt, JobQuery
from taskforge_domain.job import Job


class JobLookup(Protocol):
    """Reads of the system of record, for people and their tools.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def get(self, job_id: UUID) -> Job | None:
        """The job with this id, or None."""
        ...

    async def list_jobs(self, query: JobQuery) -> list[Job]:
        """Jobs matching the query, newest first, at most query.limit of them."""
        ...

    async def attempts(self, job_id: UUID) -> list[Attempt]:
        """The attempt history of a job, first to last: every finished attempt that the
        job's own row does not record (see Job.attempt_recorded_in_row)."""
        ...
