from contextvars import ContextVar
from typing import Any

from taskforge_domain.job import Job

current_job: ContextVar[Job | None] = ContextVar("taskforge_current_job", default=None)
"""The job whose attempt the current asyncio task runs. The worker sets it in each
attempt's own task, so a record logged on the job's behalf (its handler's included)
can carry the job fields without anyone passing them."""


def job_context(job: Job, worker: str | None = None) -> dict[str, Any]:
    """The fields of a log record about a job (pass as `extra=`): JSON logs carry them, so
    every line about one job, attempt or worker can be found. Build it only for a record
    that is going to be written."""
    return {
        "job_id": str(job.id),
        "job_type": job.job_type,
        "attempt": job.attempt,
        "worker": worker if worker is not None else job.worker,
    }
