import dataclasses
from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports import Attempt, JobLookup, JobQuery
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job


def visible_to(caller: Caller, query: JobQuery) -> JobQuery:
    """The query narrowed to the queues the caller's key covers. Naming a queue it does
    not cover is refused: it is the caller's own filter, so no job's existence leaks."""
    queues = caller.grant.queues
    if queues is None:
        return query
    if query.queue is not None:
        caller.grant.require_queues([query.queue])
        return query
    return dataclasses.replace(query, queues=queues)


class ListJobs:
    """Jobs matching a query, newest first, one page at a time."""

    def __init__(self, jobs: JobLookup) -> None:
        self._jobs = jobs

    async def __call__(self, query: JobQuery, caller: Caller = ANONYMOUS) -> list[Job]:
        return await self._jobs.list_jobs(visible_to(caller, query))


class GetAttempts:
    """The finished attempts of one job, first to last."""

    def __init__(self, jobs: JobLookup) -> None:
        self._jobs = jobs

    async def __call__(self, job_id: UUID, caller: Caller = ANONYMOUS) -> list[Attempt]:
        job = await self._jobs.get(job_id)
        if job is None or not caller.grant.covers(job.queue):
            raise JobNotFound(job_id)
        history = await self._jobs.attempts(job_id)
        if job.attempt_recorded_in_row:
            history.append(
                Attempt(job.attempt, job.worker, job.started_at, job.updated_at, "completed", None)
            )
        return history
