from uuid import UUID

from taskforge_app.ports import Attempt, JobLookup, JobQuery
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job


class ListJobs:
    """Jobs matching a query, newest first, one page at a time."""

    def __init__(self, jobs: JobLookup) -> None:
        self._jobs = jobs

    async def __call__(self, query: JobQuery) -> list[Job]:
        return await self._jobs.list_jobs(query)


class GetAttempts:
    """The finished attempts of one job, first to last."""

    def __init__(self, jobs: JobLookup) -> None:
        self._jobs = jobs

    async def __call__(self, job_id: UUID) -> list[Attempt]:
        job = await self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        history = await self._jobs.attempts(job_id)
        if job.attempt_recorded_in_row:
            history.append(
                Attempt(job.attempt, job.worker, job.started_at, job.updated_at, "completed", None)
            )
        return history
