import logging
from collections.abc import Sequence

from taskforge_app.claim_jobs import Claimed
from taskforge_app.ports import Clock, DeadLetter, JobQueue, JobRepository
from taskforge_domain.job_status import JobStatus

log = logging.getLogger(__name__)


class RecordOutcomes:
    """Write finished attempts: the store first, then the dead-letter stream, then the ack.

    Each write is fenced on the attempt the worker claimed, so a worker whose lease
    moved on cannot overwrite a newer attempt; its refused outcome is counted.
    """

    def __init__(self, jobs: JobRepository, queue: JobQueue, clock: Clock) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self.fenced_total = 0

    async def __call__(self, finished: Sequence[Claimed]) -> None:
        if not finished:
            return
        written = await self._jobs.record_outcomes([item.job for item in finished])
        letters = [
            DeadLetter.of(item.job)
            for item in finished
            if item.job.id in written and item.job.status is JobStatus.DEAD
        ]
        for item in finished:
            if item.job.id not in written:
                self.fenced_total += 1
                log.warning(
                    "outcome of job %s attempt %d refused: the attempt is no longer running",
                    item.job.id,
                    item.job.attempt,
                )
        if letters:
            await self._queue.publish_dead(letters)
            await self._jobs.mark_dead_lettered(
                [letter.job_id for letter in letters], self._clock.now()
            )
        await self._queue.ack([item.message_id for item in finished])
