import asyncio
from uuid import UUID

from taskforge_app.callers import Caller
from taskforge_app.job_watchers import JobWatchers
from taskforge_app.ports import JobLookup
from taskforge_domain.errors import JobNotFound

MAX_AWAIT_SECONDS = 60.0


class AwaitJobChange:
    """Whether a job moves past a revision within some seconds: one read to catch a change
    made before the waiter was registered, then only the change feed's wake-ups, so a
    page that follows a job costs no statement while it waits."""

    def __init__(self, jobs: JobLookup, watchers: JobWatchers) -> None:
        self._jobs = jobs
        self._watchers = watchers

    async def __call__(self, job_id: UUID, after: int, seconds: float, caller: Caller) -> bool:
        if not 0 < seconds <= MAX_AWAIT_SECONDS:
            raise ValueError(f"a wait lasts more than 0 and at most {MAX_AWAIT_SECONDS:g} seconds")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        with self._watchers.watch(job_id) as waiter:
            job = await self._jobs.get(job_id)
            # A job outside the caller's queues is as absent as a job that never existed.
            if job is None or not caller.grant.covers(job.queue):
                raise JobNotFound(job_id)
            if job.revision > after:
                return True
            while (left := deadline - loop.time()) > 0 and await waiter.woken(left):
                # Lost announcements (a reconnect of the feed) may hide a change: say so.
                if waiter.news_after(after):
                    return True
        return False
