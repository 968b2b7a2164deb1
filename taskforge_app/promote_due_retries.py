from taskforge_app.ports import Clock, DeliveryRecords, WorkPublisher


class PromoteDueRetries:
    """Move retrying jobs whose backoff has passed, and scheduled jobs now due, onto the
    work stream."""

    def __init__(
        self, records: DeliveryRecords, publisher: WorkPublisher, clock: Clock, batch_size: int
    ) -> None:
        self._records = records
        self._publisher = publisher
        self._clock = clock
        self._batch_size = batch_size

    async def __call__(self) -> int:
        """Promote every due job, a batch at a time; return how many."""
        total = 0
        while True:
            promoted = await self._records.promote_due(self._clock.now(), self._batch_size)
            if promoted:
                await self._publisher.publish(promoted)
            total += len(promoted)
            if len(promoted) < self._batch_size:
                return total
