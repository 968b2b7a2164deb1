from uuid import UUID

from taskforge_app.ports import Attempt, JobQuery, JobRepository
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job


class ListJobs:
    """Jobs matching a query, newest first, one page at a time."""

    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    async def __call__(self, query: JobQuery) -> list[Job]:
        return await self._jobs.list_jobs(query)


class GetAttempts:
    """The finished attempts of one job, first to last."""

    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    async def __call__(self, job_id: UUID) -> list[Attempt]:
        if await self._jobs.get(job_id) is None:
            raise JobNotFound(job_id)
        return await self._jobs.attempts(job_id)
