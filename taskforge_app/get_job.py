from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports import JobLookup
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job


class GetJob:
    """Look a job up by id; a job outside the caller's queues is not found."""

    def __init__(self, jobs: JobLookup) -> None:
        self._jobs = jobs

    async def __call__(self, job_id: UUID, caller: Caller = ANONYMOUS) -> Job:
        job = await self._jobs.get(job_id)
        if job is None or not caller.grant.covers(job.queue):
            raise JobNotFound(job_id)
        return job
