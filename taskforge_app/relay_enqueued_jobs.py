from taskforge_app.ports import Clock, EnqueuedJobs, WorkPublisher

DEFAULT_RELAY_BATCH = 500


class RelayEnqueuedJobs:
    """Publish the jobs that taskforge_enqueue() committed and mark them queued, a batch
    at a time, until none is left.

    A batch stays held while its jobs are published, and is released only with the
    mark: a relay that dies in between leaves the batch to the next one, which publishes
    again what is still pending (a duplicate message the worker's claim skips) and only
    releases what a worker already took.
    """

    def __init__(
        self,
        jobs: EnqueuedJobs,
        publisher: WorkPublisher,
        clock: Clock,
        batch_size: int = DEFAULT_RELAY_BATCH,
    ) -> None:
        self._jobs = jobs
        self._publisher = publisher
        self._clock = clock
        self._batch_size = batch_size

    async def __call__(self) -> int:
        """Relay every committed job; return how many were published."""
        published = 0
        while True:
            async with self._jobs.take(self._batch_size) as batch:
                if batch.pending:
                    await self._publisher.publish(batch.pending)
                if batch.taken:
                    await batch.hand_over(self._clock.now())
            published += len(batch.pending)
            if batch.taken < self._batch_size:
                return published
