import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from taskforge_app.ports import (
    ChannelUnavailable,
    Clock,
    JobIntake,
    StoreUnavailable,
    WorkPublisher,
)
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents
from taskforge_domain.errors import IdempotencyKeyReused
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewJob:
    job_type: str
    payload: dict[str, Any]
    idempotency_key: str | None = None
    max_attempts: int | None = None
    run_at: datetime | None = None
    delay: timedelta | None = None
    queue: str = "normal"
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    job: Job
    created: bool


@dataclass(frozen=True, slots=True)
class SubmitDefaults:
    max_attempts: int


class SubmitJobs:
    """Record jobs in the store in one statement, then hand the new ones to the delivery
    channel.

    The store write decides: once it committed the jobs are accepted, and a channel
    that is down only leaves them `pending` for the repair pass to deliver.
    A known idempotency key returns its first job, or refuses a different request;
    each item's answer is its own, in the order of the requests.
    """

    def __init__(
        self,
        intake: JobIntake,
        publisher: WorkPublisher,
        clock: Clock,
        defaults: SubmitDefaults,
        events: JobEvents = NO_JOB_EVENTS,
    ) -> None:
        self._intake = intake
        self._publisher = publisher
        self._clock = clock
        self._defaults = defaults
        self._events = events

    async def __call__(self, requests: Sequence[NewJob]) -> list[Submitted | IdempotencyKeyReused]:
        now = self._clock.now()
        candidates = [self._job(request, now) for request in requests]
        stored = await self._intake.insert_many(candidates)
        self._events.submitted([job for job, created in stored if created])
        answers: list[Submitted | IdempotencyKeyReused] = []
        for request, (job, created) in zip(requests, stored, strict=True):
            same = created or job.asks_for_the_same_as(
                request.job_type,
                request.payload,
                request.max_attempts,
                request.callback_url,
                request.queue,
            )
            answers.append(
                Submitted(job, created)
                if same
                else IdempotencyKeyReused(job.idempotency_key or "", job.id)
            )
        # Scheduled jobs wait in the store; the scheduler publishes them when due.
        new = [
            answer.job
            for answer in answers
            if isinstance(answer, Submitted)
            and answer.created
            and answer.job.status is JobStatus.PENDING
        ]
        if new and await self._handed_to_channel(new, now):
            return [self._as_queued(answer, now) for answer in answers]
        return answers

    def _job(self, request: NewJob, now: Any) -> Job:
        return Job.submit(
            job_id=uuid4(),
            job_type=request.job_type,
            payload=request.payload,
            max_attempts=request.max_attempts or self._defaults.max_attempts,
            now=now,
            idempotency_key=request.idempotency_key,
            run_at=now + request.delay if request.delay is not None else request.run_at,
            queue=request.queue,
            callback_url=request.callback_url,
        )

    async def _handed_to_channel(self, new: list[Job], now: Any) -> bool:
        try:
            await self._publisher.publish(new)
        except ChannelUnavailable as exc:
            log.warning("%d jobs stay pending, delivery channel unavailable: %s", len(new), exc)
            return False
        try:
            await self._intake.mark_queued([job.id for job in new], now)
        except StoreUnavailable as exc:
            # Stored and on the stream: accepted. The worker's claim accepts `pending`.
            log.warning("%d jobs published but left pending: %s", len(new), exc)
            return False
        return True

    @staticmethod
    def _as_queued(
        answer: Submitted | IdempotencyKeyReused, now: Any
    ) -> Submitted | IdempotencyKeyReused:
        if (
            isinstance(answer, Submitted)
            and answer.created
            and answer.job.status is JobStatus.PENDING
        ):
            return Submitted(answer.job.enqueue(now), created=True)
        return answer
