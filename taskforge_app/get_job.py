from uuid import UUID

from taskforge_app.ports import JobLookup
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job


class GetJob:
    """Look a job up by id."""

    def __init__(self, jobs: JobLookup) -> None:
        self._jobs = jobs

    async def __call__(self, job_id: UUID) -> Job:
        job = await self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job
