from collections.abc import Mapping

from taskforge_app.ports import StoreUnavailable
from taskforge_app.ports.queue_pauses import QueuePause
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import InMemoryJobRepository


class InMemoryQueuePauses:
    """QueuePauses and RunningAttempts over a dict and the in-memory job store."""

    def __init__(self, jobs: InMemoryJobRepository | None = None) -> None:
        self.pauses: dict[str, QueuePause] = {}
        self.reads = 0
        self.unavailable = False
        self._jobs = jobs

    def _answer(self) -> None:
        if self.unavailable:
            raise StoreUnavailable("postgres is down")

    async def pause(self, pause: QueuePause) -> QueuePause | None:
        self._answer()
        if pause.queue in self.pauses:
            return None
        self.pauses[pause.queue] = pause
        return pause

    async def resume(self, queue: str) -> QueuePause | None:
        self._answer()
        return self.pauses.pop(queue, None)

    async def paused(self) -> list[QueuePause]:
        self._answer()
        self.reads += 1
        return [self.pauses[queue] for queue in sorted(self.pauses)]

    async def running_by_queue(self) -> Mapping[str, int]:
        self._answer()
        counts: dict[str, int] = {}
        for job in [] if self._jobs is None else self._jobs.jobs.values():
            if job.status is JobStatus.RUNNING:
                counts[job.queue] = counts.get(job.queue, 0) + 1
        return counts
