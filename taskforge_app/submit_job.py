import logging
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from taskforge_app.ports import (
    Clock,
    JobQueue,
    JobRepository,
    QueueUnavailable,
    StoreUnavailable,
)
from taskforge_domain.errors import IdempotencyKeyReused
from taskforge_domain.job import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewJob:
    job_type: str
    payload: dict[str, Any]
    idempotency_key: str | None = None
    max_attempts: int | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    job: Job
    created: bool


@dataclass(frozen=True, slots=True)
class SubmitDefaults:
    max_attempts: int


class SubmitJob:
    """Record a job in the store, then hand it to the queue.

    The store write decides: once it committed the job is accepted, and a queue
    that is down only leaves it `pending` for the repair pass to deliver.
    A reused idempotency key returns the first job, or refuses a different request.
    """

    def __init__(
        self, jobs: JobRepository, queue: JobQueue, clock: Clock, defaults: SubmitDefaults
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self._defaults = defaults

    async def __call__(self, request: NewJob) -> Submitted:
        now = self._clock.now()
        job = Job.submit(
            job_id=uuid4(),
            job_type=request.job_type,
            payload=request.payload,
            max_attempts=request.max_attempts or self._defaults.max_attempts,
            now=now,
            idempotency_key=request.idempotency_key,
        )
        stored, created = await self._jobs.insert(job)
        if not created:
            if not stored.asks_for_the_same_as(
                request.job_type, request.payload, request.max_attempts
            ):
                raise IdempotencyKeyReused(request.idempotency_key or "", stored.id)
            return Submitted(stored, created=False)
        try:
            await self._queue.publish([stored])
        except QueueUnavailable as exc:
            log.warning("job %s stays pending, queue unavailable: %s", stored.id, exc)
            return Submitted(stored, created=True)
        try:
            await self._jobs.mark_queued([stored.id], now)
        except StoreUnavailable as exc:
            # Stored and on the stream: accepted. The worker's claim accepts `pending`.
            log.warning("job %s published but left pending: %s", stored.id, exc)
            return Submitted(stored, created=True)
        return Submitted(stored.enqueue(now), created=True)
