"""A job's changes as a stream: the job as it is, then the job again after every change
of its status or progress, until it is finished.

Each event carries the job's revision, which the store bumps with every such change.
A follower that resumes after revision R first gets the attempt history (every finished
attempt, numbered, so it skips those it has seen) when the job moved past R, then the
job as it is now. A follower that falls behind live changes (two changes landed before
it read the job once) gets the history of the attempts it missed the same way."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.job_waiter import JobWaiter
from taskforge_app.job_watchers import JobWatchers
from taskforge_app.ports import Attempt, JobLookup
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    job: Job

    @property
    def revision(self) -> int:
        return self.job.revision


@dataclass(frozen=True, slots=True)
class FinishedAttempt:
    """An attempt from the history, sent to a follower that may have missed its end;
    `revision` is the last one the follower had, so resuming from it loses nothing."""

    job_id: UUID
    attempt: Attempt
    revision: int


JobEvent = JobSnapshot | FinishedAttempt


class FollowJob:
    """Follow one job's changes; see the module docstring for what a follower receives."""

    def __init__(self, jobs: JobLookup, watchers: JobWatchers) -> None:
        self._jobs = jobs
        self._watchers = watchers

    async def __call__(
        self, job_id: UUID, after_revision: int | None = None, caller: Caller = ANONYMOUS
    ) -> "JobFollow":
        """Start following; raises JobNotFound at once for an unknown job."""
        # Registered before the read, so no change between the two is missed.
        waiter = self._watchers.register(job_id)
        try:
            job = await self._jobs.get(job_id)
            # A job outside the caller's queues is as absent as one that never existed.
            if job is None or not caller.grant.covers(job.queue):
                raise JobNotFound(job_id)
        except BaseException:
            self._watchers.release(job_id, waiter)
            raise
        # An id this job never had (ahead of its revision) is no place to resume from.
        if after_revision is not None and after_revision > job.revision:
            after_revision = None
        return JobFollow(self._jobs, self._watchers, waiter, job, after_revision)


class JobFollow:
    """One follower's stream of events; the waiter is released when `events` ends."""

    def __init__(
        self,
        jobs: JobLookup,
        watchers: JobWatchers,
        waiter: JobWaiter,
        first: Job,
        after_revision: int | None,
    ) -> None:
        self._jobs = jobs
        self._watchers = watchers
        self._waiter = waiter
        self._first = first
        self._after = after_revision
        self._sent_attempts: set[int] = set()

    @property
    def nothing_left(self) -> bool:
        """The follower resumed after the last change of a finished job: no event is left."""
        return self._first.status.is_terminal and self._after == self._first.revision

    def close(self) -> None:
        """Release the waiter; for a follow whose events are never read."""
        self._watchers.release(self._first.id, self._waiter)

    async def events(self, heartbeat: float) -> AsyncIterator[JobEvent | None]:
        """The events in order; None after `heartbeat` seconds without one."""
        try:
            last = self._first
            if self._after is not None and self._after < last.revision:
                for missed in await self._missed(last, self._after, from_attempt=0):
                    yield missed
            if self._after != last.revision:
                yield JobSnapshot(last)
            while not last.status.is_terminal:
                if not await self._waiter.woken(heartbeat):
                    yield None
                    continue
                if not self._waiter.news_after(last.revision):
                    continue
                job = await self._jobs.get(last.id)
                if job is None:
                    return
                if job.revision <= last.revision:
                    continue
                if job.revision > last.revision + 1 and job.attempt != last.attempt:
                    for missed in await self._missed(job, last.revision, last.attempt):
                        yield missed
                yield JobSnapshot(job)
                last = job
        finally:
            self.close()

    async def _missed(self, job: Job, revision: int, from_attempt: int) -> list[FinishedAttempt]:
        history = await self._jobs.attempts(job.id)
        missed = [
            FinishedAttempt(job.id, attempt, revision)
            for attempt in history
            if attempt.attempt >= from_attempt and attempt.attempt not in self._sent_attempts
        ]
        self._sent_attempts.update(event.attempt.attempt for event in missed)
        return missed
