from dataclasses import dataclass
from datetime import timedelta

from taskforge_app.ports import Clock, FinishedJobs
from taskforge_domain.job_status import JobStatus

_BATCH = 500
_BATCHES_PER_PASS = 20


@dataclass(frozen=True, slots=True)
class Retention:
    """How long finished jobs are kept, per status; None keeps them for ever."""

    completed: timedelta | None
    cancelled: timedelta | None
    dead: timedelta | None

    def ages(self) -> list[tuple[JobStatus, timedelta]]:
        kept = {
            JobStatus.COMPLETED: self.completed,
            JobStatus.CANCELLED: self.cancelled,
            JobStatus.DEAD: self.dead,
        }
        return [(status, age) for status, age in kept.items() if age is not None]


class PurgeFinishedJobs:
    """Delete finished jobs past their retention, in small batches so no statement holds
    many row locks for long; a pass stops after a bounded number of batches."""

    def __init__(self, jobs: FinishedJobs, clock: Clock, retention: Retention) -> None:
        self._jobs = jobs
        self._clock = clock
        self._retention = retention

    async def __call__(self) -> int:
        deleted = 0
        for status, age in self._retention.ages():
            cutoff = self._clock.now() - age
            for _ in range(_BATCHES_PER_PASS):
                removed = await self._jobs.delete_finished(status, cutoff, _BATCH)
                deleted += removed
                if removed < _BATCH:
                    break
        return deleted
