import logging
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any, Protocol
from uuid import UUID

from taskforge_domain.job import Job

current_job: ContextVar[Job | None] = ContextVar("taskforge_current_job", default=None)
"""The job whose attempt the current asyncio task runs. The worker sets it in each
attempt's own task, so a record logged on the job's behalf (its handler's included)
can carry the job fields without anyone passing them."""


class AboutAJob(Protocol):
    """What a log record about a job names: the domain Job and a handler's view both do."""

    @property
    def id(self) -> UUID: ...
    @property
    def job_type(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def worker(self) -> str | None: ...


def job_context(job: AboutAJob, worker: str | None = None) -> dict[str, Any]:
    """The fields of a log record about a job (pass as `extra=`): JSON logs carry them, so
    every line about one job, attempt or worker can be found. Build it only for a record
    that is going to be written."""
    return {
        "job_id": str(job.id),
        "job_type": job.job_type,
        "attempt": job.attempt,
        "worker": worker if worker is not None else job.worker,
    }


class JobLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger whose every record carries the job fields, next to any `extra=` of the
    call's own. The fields are built only for a record that passes the level."""

    def __init__(self, logger: logging.Logger, job: AboutAJob) -> None:
        super().__init__(logger)
        self.job = job

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        fields = job_context(self.job)
        own = kwargs.get("extra")
        # LoggerAdapter alone would drop the call's own `extra` (Python 3.11 cannot merge).
        kwargs["extra"] = fields if own is None else {**own, **fields}
        return msg, kwargs
