"""What a handler receives: a read-only view of the attempt it runs, and a logger bound to it."""

import logging
from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from taskforge_app.job_log_context import JobLogger
from taskforge_app.progress_reports import NO_PROGRESS, ProgressSink
from taskforge_app.read_only_json import read_only
from taskforge_domain.job import Job
from taskforge_domain.job_progress import Progress

_handlers_log = logging.getLogger("taskforge.handlers")


class _AboutTheAttempt(NamedTuple):
    """What a handler's log record names about its attempt."""

    id: UUID
    job_type: str
    attempt: int
    worker: str | None


_set = object.__setattr__


class JobContext:
    """The job one handler call runs, as the handler may see it: its identity, its
    read-only payload, which attempt of how many this is, and `log`, a logger whose every
    line carries job_id, job_type, attempt and worker. It has no way to change the job:
    the handler's return value or exception decides the outcome. The one thing it may
    write is how far it has got, with `report_progress`.

    The worker builds one per attempt; handler tests build their own with keywords."""

    __slots__ = (
        "_log",
        "_payload",
        "_payload_as_decoded",
        "_progress",
        "attempt",
        "created_at",
        "id",
        "job_type",
        "max_attempts",
        "queue",
        "worker",
    )

    id: UUID
    job_type: str
    attempt: int
    max_attempts: int
    queue: str
    created_at: datetime
    worker: str | None
    """The consumer name of the worker running the attempt, as its log lines carry it."""
    _payload_as_decoded: Mapping[str, Any]
    _payload: Mapping[str, Any] | None
    _log: JobLogger | None
    _progress: ProgressSink

    def __init__(
        self,
        *,
        id: UUID,
        job_type: str,
        payload: Mapping[str, Any],
        attempt: int,
        max_attempts: int,
        queue: str,
        created_at: datetime,
        worker: str | None = None,
        progress: ProgressSink = NO_PROGRESS,
    ) -> None:
        _set(self, "id", id)
        _set(self, "job_type", job_type)
        _set(self, "attempt", attempt)
        _set(self, "max_attempts", max_attempts)
        _set(self, "queue", queue)
        _set(self, "created_at", created_at)
        _set(self, "worker", worker)
        # Both made on first use: a handler that never reads or logs pays for neither.
        _set(self, "_payload_as_decoded", payload)
        _set(self, "_payload", None)
        _set(self, "_log", None)
        _set(self, "_progress", progress)

    @property
    def payload(self) -> Mapping[str, Any]:
        """The job's JSON payload; it and every object and array in it refuse changes."""
        payload = self._payload
        if payload is None:
            payload = read_only(self._payload_as_decoded)
            _set(self, "_payload", payload)
        return payload

    @property
    def log(self) -> JobLogger:
        """A logger (`taskforge.handlers`) whose records carry this attempt's job fields."""
        log = self._log
        if log is None:
            # Not `self`: a view and its logger holding each other would be a cycle per
            # attempt, left for the garbage collector; on a draining worker that cost more
            # than the rest of the view.
            about = _AboutTheAttempt(self.id, self.job_type, self.attempt, self.worker)
            log = JobLogger(_handlers_log, about)
            _set(self, "_log", log)
        return log

    def report_progress(self, fraction: float, message: str = "") -> None:
        """Say how far the attempt has got: `fraction` from 0 to 1 and a short message (at
        most PROGRESS_MESSAGE_MAX_LENGTH characters). It returns at once; rapid reports
        are coalesced, the latest wins, and the job shows it while the attempt runs."""
        self._progress.report(self.id, self.attempt, Progress(fraction, message))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"a JobContext is read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"a JobContext is read-only: cannot delete {name!r}")

    def __repr__(self) -> str:
        return (
            f"JobContext(id={self.id!s}, job_type={self.job_type!r}, "
            f"attempt={self.attempt}/{self.max_attempts}, queue={self.queue!r})"
        )


def context_of(job: Job, progress: ProgressSink = NO_PROGRESS) -> JobContext:
    """The view of a claimed job its handler is given."""
    return JobContext(
        id=job.id,
        job_type=job.job_type,
        payload=job.payload,
        attempt=job.attempt,
        max_attempts=job.max_attempts,
        queue=job.queue,
        created_at=job.created_at,
        worker=job.worker,
        progress=progress,
    )
