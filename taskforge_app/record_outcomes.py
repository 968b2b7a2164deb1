import logging
from collections.abc import Sequence

from taskforge_app.claim_jobs import Claimed
from taskforge_app.dead_letters import send_dead_letters
from taskforge_app.job_log_context import job_context
from taskforge_app.ports import Clock, JobQueue, JobRepository
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents
from taskforge_domain.job import Job

log = logging.getLogger(__name__)


class RecordOutcomes:
    """Write finished attempts: the store first, then the dead-letter stream, then the ack.

    Each write is fenced on the attempt the worker claimed, so a worker whose lease
    moved on cannot overwrite a newer attempt; its refused outcome is counted.
    """

    def __init__(
        self,
        jobs: JobRepository,
        queue: JobQueue,
        clock: Clock,
        events: JobEvents = NO_JOB_EVENTS,
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self._events = events
        self.fenced_total = 0

    async def __call__(self, finished: Sequence[Claimed]) -> None:
        if not finished:
            return
        written = await self._jobs.record_outcomes([item.job for item in finished])
        done: list[Job] = []
        fenced: list[Job] = []
        for item in finished:
            (done if item.job.id in written else fenced).append(item.job)
        self._events.finished(done)
        if fenced:
            self.fenced_total += len(fenced)
            self._events.fenced(fenced)
            for job in fenced:
                log.warning(
                    "outcome of job %s attempt %d refused: the attempt is no longer running",
                    job.id,
                    job.attempt,
                    extra=job_context(job),
                )
        await send_dead_letters(self._jobs, self._queue, done, self._clock.now())
        await self._queue.ack([item.message_id for item in finished])
