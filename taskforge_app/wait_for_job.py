import asyncio
from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.job_watchers import JobWatchers
from taskforge_app.ports import JobLookup
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job

MAX_WAIT_SECONDS = 60.0


class WaitForJob:
    """The job once it is finished (completed, dead or cancelled), or as it is when the
    wait ends; woken by the store's change feed, never by polling."""

    def __init__(self, jobs: JobLookup, watchers: JobWatchers) -> None:
        self._jobs = jobs
        self._watchers = watchers

    async def __call__(self, job_id: UUID, seconds: float, caller: Caller = ANONYMOUS) -> Job:
        if not 0 < seconds <= MAX_WAIT_SECONDS:
            raise ValueError(f"a wait lasts more than 0 and at most {MAX_WAIT_SECONDS:g} seconds")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        with self._watchers.watch(job_id) as waiter:
            job = await self._read(job_id, caller)
            while not job.status.is_terminal:
                left = deadline - loop.time()
                if left <= 0 or not await waiter.woken(left):
                    # As it is now: a change made outside Taskforge's statements (an
                    # operator's SQL) is announced by nobody.
                    job = await self._read(job_id, caller)
                    break
                if waiter.finished_after(job.revision):
                    job = await self._read(job_id, caller)
        return job

    async def _read(self, job_id: UUID, caller: Caller) -> Job:
        job = await self._jobs.get(job_id)
        # A job outside the caller's queues is as absent as a job that never existed.
        if job is None or not caller.grant.covers(job.queue):
            raise JobNotFound(job_id)
        return job
