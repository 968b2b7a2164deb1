"""The Job: what was asked for, where it is in its life, and the only legal ways it moves."""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import InvalidTransition
from taskforge_domain.job_limits import MAX_ATTEMPTS_LIMIT
from taskforge_domain.job_status import JobStatus
from taskforge_domain.retry_delay import checked_retry_in

JsonObject = Mapping[str, Any]


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ==, `true` is not `1` and `false` is not `0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping):
        return (
            isinstance(b, Mapping)
            and a.keys() == b.keys()
            and all(same_json(a[key], b[key]) for key in a)
        )
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same_json(x, y) for x, y in zip(a, b, strict=True))
        )
    return bool(a == b)


@dataclass(frozen=True, slots=True)
class Job:
    id: UUID
    job_type: str
    payload: JsonObject
    status: JobStatus
    attempt: int
    max_attempts: int
    run_at: datetime
    created_at: datetime
    updated_at: datetime
    idempotency_key: str | None = None
    last_error: str | None = None
    result: Any = None
    lease_expires_at: datetime | None = None
    started_at: datetime | None = None
    worker: str | None = None
    cancel_requested_at: datetime | None = None
    replays: int = 0
    queue: str = "normal"
    revision: int = 0
    """Counts the job's changes of status and progress, as the store bumps it."""
    progress: float | None = None
    progress_message: str | None = None
    callback_url: str | None = None

    @classmethod
    def submit(
        cls,
        *,
        job_id: UUID,
        job_type: str,
        payload: JsonObject,
        max_attempts: int,
        now: datetime,
        idempotency_key: str | None = None,
        run_at: datetime | None = None,
        queue: str = "normal",
        callback_url: str | None = None,
    ) -> "Job":
        """A new job: `pending`, or `scheduled` when it may only run at a later run_at."""
        if not job_type:
            raise ValueError("job_type must not be empty")
        if not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise ValueError(f"max_attempts must be from 1 to {MAX_ATTEMPTS_LIMIT}")
        return cls(
            id=job_id,
            job_type=job_type,
            payload=payload,
            status=JobStatus.SCHEDULED if run_at and run_at > now else JobStatus.PENDING,
            attempt=0,
            max_attempts=max_attempts,
            run_at=max(run_at, now) if run_at else now,
            created_at=now,
            updated_at=now,
            idempotency_key=idempotency_key,
            queue=queue,
            callback_url=callback_url,
        )

    @property
    def attempts_left(self) -> int:
        return self.max_attempts - self.attempt

    def asks_for_the_same_as(
        self,
        job_type: str,
        payload: JsonObject,
        max_attempts: int | None = None,
        callback_url: str | None = None,
        queue: str = "normal",
    ) -> bool:
        """Whether a replayed submission with the same idempotency key asked for this job;
        max_attempts and callback_url count only when the submission gave them. The queue
        counts always: a key limited to one queue must never be answered with another's job."""
        return (
            self.job_type == job_type
            and self.queue == queue
            and (max_attempts is None or self.max_attempts == max_attempts)
            and (callback_url is None or self.callback_url == callback_url)
            and same_json(self.payload, payload)
        )

    def enqueue(self, now: datetime) -> "Job":
        """A message for this job is on the work stream (first time, due, or a retry)."""
        if self.status is JobStatus.DEAD:
            raise InvalidTransition(self.id, self.status.value, JobStatus.QUEUED.value)
        return self._become(JobStatus.QUEUED, now, lease_expires_at=None)

    def start(self, now: datetime, lease: timedelta, worker: str | None = None) -> "Job":
        """A worker claimed the next attempt; it owns the job until the lease expires."""
        return self._become(
            JobStatus.RUNNING,
            now,
            attempt=self.attempt + 1,
            lease_expires_at=now + lease,
            started_at=now,
            worker=worker,
            cancel_requested_at=None,
            progress=None,
            progress_message=None,
        )

    def hold_back(self, until: datetime, now: datetime) -> "Job":
        """Its job type's limit lets it not start yet: it waits, its attempts untouched,
        until the scheduler queues it again at `until`."""
        return self._become(JobStatus.SCHEDULED, now, run_at=until)

    def cancel(self, now: datetime) -> "Job":
        """Cancel a job that is not running: it never runs again."""
        if self.status is JobStatus.RUNNING:
            raise InvalidTransition(self.id, self.status.value, JobStatus.CANCELLED.value)
        # A retrying job keeps the error of its failed attempt; one that never ran says so.
        return self._become(
            JobStatus.CANCELLED, now, last_error=self.last_error or "cancelled before it ran"
        )

    def request_cancel(self, now: datetime) -> "Job":
        """Ask the worker running this job to cancel its handler; the job stays running."""
        if self.status is not JobStatus.RUNNING:
            raise InvalidTransition(self.id, self.status.value, JobStatus.CANCELLED.value)
        return replace(self, cancel_requested_at=now, updated_at=now)

    def cancelled_while_running(self, now: datetime) -> "Job":
        """The attempt's handler was cancelled on request: the attempt ends `cancelled`."""
        if self.status is not JobStatus.RUNNING:
            raise InvalidTransition(self.id, self.status.value, JobStatus.CANCELLED.value)
        error = f"cancelled on request while attempt {self.attempt} ran"
        return self._become(JobStatus.CANCELLED, now, last_error=error, lease_expires_at=None)

    def replay(self, now: datetime, budget: int) -> "Job":
        """Send a dead job round again with `budget` fresh attempts; its history stays."""
        if self.status is not JobStatus.DEAD:
            raise InvalidTransition(self.id, self.status.value, JobStatus.QUEUED.value)
        if not 1 <= budget <= MAX_ATTEMPTS_LIMIT:
            raise ValueError(f"a replay gives from 1 to {MAX_ATTEMPTS_LIMIT} attempts")
        return self._become(
            JobStatus.QUEUED,
            now,
            max_attempts=self.attempt + budget,
            run_at=now,
            replays=self.replays + 1,
        )

    def complete(self, result: Any, now: datetime) -> "Job":
        return self._become(
            JobStatus.COMPLETED, now, result=result, last_error=None, lease_expires_at=None
        )

    def fail(
        self,
        error: str,
        now: datetime,
        backoff: FullJitterBackoff,
        *,
        retry_in: timedelta | None = None,
    ) -> "Job":
        """A failed attempt: retry later with backoff (or after `retry_in`, when the handler
        said how long to wait), or dead when no attempt is left; cancelled instead of
        retried when an operator asked to cancel it meanwhile."""
        if retry_in is not None:
            checked_retry_in(retry_in)
        if self.status is JobStatus.RUNNING and self.attempts_left <= 0:
            return self.kill(error, now)
        if self.status is JobStatus.RUNNING and self.cancel_requested_at is not None:
            return self._become(JobStatus.CANCELLED, now, last_error=error, lease_expires_at=None)
        delay = backoff.delay(self.attempt) if retry_in is None else retry_in
        return self._become(
            JobStatus.RETRYING,
            now,
            last_error=error,
            run_at=now + delay,
            lease_expires_at=None,
        )

    def lose_attempt(self, error: str, now: datetime) -> "Job":
        """The attempt's worker died or was cut off: not the handler's failure, so the
        next attempt may start at once, without a backoff. The lost attempt still
        counts, so a job that kills its worker every time ends dead; a cancel requested
        meanwhile wins, as it does over a failure."""
        if self.status is JobStatus.RUNNING and self.attempts_left <= 0:
            return self.kill(error, now)
        if self.status is JobStatus.RUNNING and self.cancel_requested_at is not None:
            return self._become(JobStatus.CANCELLED, now, last_error=error, lease_expires_at=None)
        return self._become(
            JobStatus.RETRYING, now, last_error=error, run_at=now, lease_expires_at=None
        )

    def decided_again(self, stored: "Job", now: datetime, backoff: FullJitterBackoff) -> "Job":
        """This finished attempt's outcome, decided again against `stored`: the same
        attempt as the store holds it now, after an operator asked meanwhile to cancel it."""
        if stored.status is not JobStatus.RUNNING or stored.attempt != self.attempt:
            raise InvalidTransition(self.id, stored.status.value, self.status.value)
        if self.status is JobStatus.COMPLETED:
            return stored.complete(self.result, now)
        if self.status is JobStatus.CANCELLED:
            return stored.cancelled_while_running(now)
        if self.status is JobStatus.RETRYING:
            again = stored.fail(self.last_error or "", now, backoff)
            # Still a retry: the wait already decided (a handler's retry_in included) stays.
            return replace(again, run_at=self.run_at) if again.status is self.status else again
        return stored.kill(self.last_error or "", now)

    @property
    def attempt_recorded_in_row(self) -> bool:
        """A completed job's last attempt is recorded by the job itself; an attempt that
        failed or was cancelled gets an entry of its own in the attempt history."""
        return self.status is JobStatus.COMPLETED

    def kill(self, error: str, now: datetime) -> "Job":
        """The job can never succeed: dead at once, whatever attempts are left."""
        return self._become(JobStatus.DEAD, now, last_error=error, lease_expires_at=None)

    def _become(self, target: JobStatus, now: datetime, **changes: Any) -> "Job":
        if not self.status.can_become(target):
            raise InvalidTransition(self.id, self.status.value, target.value)
        changes["status"] = target
        changes["updated_at"] = now
        # The store counts every change of status the same way (events are numbered by it).
        changes["revision"] = self.revision + 1
        return _copy_with(self, changes)


_FIELD_NAMES = tuple(field.name for field in fields(Job))
_FIELD_SET = frozenset(_FIELD_NAMES)
_set_field = object.__setattr__


def _copy_with(job: Job, changes: dict[str, Any]) -> Job:
    """dataclasses.replace for a Job, at half its cost: every attempt makes two copies on
    the worker's hot path (started, then finished), and Job checks nothing on __init__
    that a copy of a valid Job could break."""
    unknown = changes.keys() - _FIELD_SET
    if unknown:
        raise TypeError(f"Job has no field {', '.join(sorted(unknown))}")
    copy = object.__new__(Job)
    for name in _FIELD_NAMES:
        _set_field(copy, name, changes[name] if name in changes else getattr(job, name))
    return copy
