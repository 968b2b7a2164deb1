import logging
from datetime import timedelta

from taskforge_app.ports import Clock, DeadLetter, JobQueue, JobRepository
from taskforge_domain.job_status import JobStatus

log = logging.getLogger(__name__)


class RepairDelivery:
    """Put back on the streams what a crash or a Redis data loss took off them.

    Waiting jobs (pending or queued) unchanged for longer than the grace that have
    no message on the work stream are published again; a healthy backlog, whose
    messages are all there, costs a read of the stream and no message at all.
    Dead jobs whose dead letter was never recorded are published to the DLQ.
    """

    def __init__(
        self,
        jobs: JobRepository,
        queue: JobQueue,
        clock: Clock,
        grace: timedelta,
        batch_size: int = 1000,
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self._grace = grace
        self._batch_size = batch_size

    async def __call__(self) -> int:
        return await self._republish_waiting() + await self._publish_missing_dead_letters()

    async def _republish_waiting(self) -> int:
        now = self._clock.now()
        if not await self._jobs.find_waiting(now - self._grace, 1):
            return 0
        # The stream is read before the store: a message consumed in between belongs
        # to a job that is no longer waiting, so it is not mistaken for a lost one.
        on_stream = await self._queue.job_ids_on_stream()
        waiting = await self._jobs.find_waiting(now - self._grace, self._batch_size)
        lost = [job for job in waiting if job.id not in on_stream]
        log.debug(
            "repair pass: %d waiting jobs checked against %d on the stream, %d lost",
            len(waiting),
            len(on_stream),
            len(lost),
        )
        if not lost:
            return 0
        await self._queue.publish(lost)
        pending = [job.id for job in lost if job.status is JobStatus.PENDING]
        if pending:
            await self._jobs.mark_queued(pending, now)
        log.warning("re-published %d waiting jobs that had no message on the stream", len(lost))
        return len(lost)

    async def _publish_missing_dead_letters(self) -> int:
        now = self._clock.now()
        dead = await self._jobs.find_dead_not_lettered(now - self._grace, self._batch_size)
        if not dead:
            return 0
        await self._queue.publish_dead([DeadLetter.of(job) for job in dead])
        await self._jobs.mark_dead_lettered([job.id for job in dead], now)
        log.warning("published %d missing dead letters", len(dead))
        return len(dead)
