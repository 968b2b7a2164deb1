import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from taskforge_app.dead_letters import send_dead_letters
from taskforge_app.ports import (
    Clock,
    DeadLetterPublisher,
    DeadLetterRecords,
    DeliveryRecords,
    MessagesInTransit,
    WorkPublisher,
)
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RepairPolicy:
    """How long a waiting job or a dead letter may go unchanged before the repair pass
    treats it as lost (longer than a submit's publish takes, so it never races one), and
    how many jobs it reads per page."""

    grace: timedelta
    batch_size: int = 1000


class RepairDelivery:
    """Put back on the streams what a crash or a Redis data loss took off them.

    Waiting jobs (pending or queued) unchanged for longer than the grace that have
    no message on the work stream are published again; a healthy backlog, whose
    messages are all there, costs a read of the stream and of the waiting jobs,
    page by page, and no message at all.
    Dead jobs whose dead letter was never recorded are published to the DLQ.
    """

    def __init__(
        self,
        records: DeliveryRecords,
        in_transit: MessagesInTransit,
        publisher: WorkPublisher,
        dead_letter_records: DeadLetterRecords,
        dead_letters: DeadLetterPublisher,
        clock: Clock,
        policy: RepairPolicy,
    ) -> None:
        self._records = records
        self._in_transit = in_transit
        self._publisher = publisher
        self._dead_letter_records = dead_letter_records
        self._dead_letters = dead_letters
        self._clock = clock
        self._grace = policy.grace
        self._batch_size = policy.batch_size

    async def __call__(self) -> int:
        return await self._republish_waiting() + await self._publish_missing_dead_letters()

    async def _republish_waiting(self) -> int:
        now = self._clock.now()
        if not await self._records.find_waiting(now - self._grace, 1):
            return 0
        # The stream is read before the store: a message consumed in between belongs
        # to a job that is no longer waiting, so it is not mistaken for a lost one.
        on_stream = await self._in_transit.job_ids_in_transit()
        checked = repaired = 0
        after: tuple[datetime, UUID] | None = None
        while True:
            page = await self._records.find_waiting(now - self._grace, self._batch_size, after)
            checked += len(page)
            repaired += await self._republish([job for job in page if job.id not in on_stream], now)
            if len(page) < self._batch_size:
                break
            after = (page[-1].updated_at, page[-1].id)
        log.debug(
            "repair pass: %d waiting jobs checked against %d on the stream, %d lost",
            checked,
            len(on_stream),
            repaired,
        )
        return repaired

    async def _republish(self, lost: list[Job], now: datetime) -> int:
        if not lost:
            return 0
        await self._publisher.publish(lost)
        pending = [job.id for job in lost if job.status is JobStatus.PENDING]
        if pending:
            await self._records.mark_queued(pending, now)
        log.warning("re-published %d waiting jobs that had no message on the stream", len(lost))
        return len(lost)

    async def _publish_missing_dead_letters(self) -> int:
        now = self._clock.now()
        dead = await self._dead_letter_records.find_dead_not_lettered(
            now - self._grace, self._batch_size
        )
        if not dead:
            return 0
        await send_dead_letters(self._dead_letter_records, self._dead_letters, dead, now)
        log.warning("published %d missing dead letters", len(dead))
        return len(dead)
