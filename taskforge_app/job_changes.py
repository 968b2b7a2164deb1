from collections.abc import Callable
from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports import JobRevisions
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job

_TRIES = 5


async def change_job(
    jobs: JobRevisions, job_id: UUID, change: Callable[[Job], Job], caller: Caller = ANONYMOUS
) -> Job:
    """Apply an operator's change with compare-and-set, retrying when a worker or the
    scheduler moved the job in between; the domain refuses what is not legal. A job in a
    queue the caller's key does not cover is not found, so no answer tells it exists."""
    for _ in range(_TRIES):
        current = await jobs.get(job_id)
        if current is None or not caller.grant.covers(current.queue):
            raise JobNotFound(job_id)
        written = await jobs.replace(change(current), expected=current)
        if written is not None:
            return written
    raise JobBusy(job_id)


class JobBusy(Exception):
    def __init__(self, job_id: UUID) -> None:
        super().__init__(f"job {job_id} kept changing; try again")
        self.job_id = job_id
