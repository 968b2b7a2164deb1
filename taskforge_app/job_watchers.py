"""Who waits on which job, in this process: one registry that the store's change feed
wakes, so a thousand waiters cost a dictionary entry each and no database connection."""

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from taskforge_app.job_waiter import JobWaiter
from taskforge_app.ports.job_change_feed import JobChange, JobChangeSink


class JobWatchers(JobChangeSink):
    """The waiters of this process, keyed by job id, woken by the change feed."""

    def __init__(self) -> None:
        self._waiting: dict[UUID, set[JobWaiter]] = {}

    @property
    def count(self) -> int:
        return sum(len(waiters) for waiters in self._waiting.values())

    @contextmanager
    def watch(self, job_id: UUID) -> Iterator[JobWaiter]:
        """A waiter on the job, registered for the block: register it before reading the
        job, so a change landing between the read and the wait still wakes it."""
        waiter = self.register(job_id)
        try:
            yield waiter
        finally:
            self.release(job_id, waiter)

    def register(self, job_id: UUID) -> JobWaiter:
        """A waiter on the job until release(); watch() is the same for one block."""
        waiter = JobWaiter()
        self._waiting.setdefault(job_id, set()).add(waiter)
        return waiter

    def release(self, job_id: UUID, waiter: JobWaiter) -> None:
        waiters = self._waiting.get(job_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiting[job_id]

    def changed(self, changes: list[JobChange]) -> None:
        waiting = self._waiting
        for change in changes:
            for waiter in waiting.get(change.job_id, ()):
                waiter.wake(change.revision, change.status)

    def resync(self) -> None:
        for waiters in self._waiting.values():
            for waiter in waiters:
                waiter.wake(None)
