import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from taskforge_app.claim_jobs import Claimed, ClaimJobs
from taskforge_app.ports import JobQueue
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_entrypoints.lifecycle import OUTAGES, sleep_unless_stopped, until_available

log = logging.getLogger("taskforge.worker")


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    consumer: str
    concurrency: int
    batch_size: int
    block: timedelta
    shutdown_grace: timedelta


class WorkerLoop:
    """Read up to the free slots, claim the batch, run each attempt concurrently.

    A read never waits for a batch to fill: it takes what is there. On stop it
    reads no more, gives running attempts the grace period, then cancels them.
    """

    def __init__(
        self,
        queue: JobQueue,
        claim: ClaimJobs,
        run: RunJob,
        record: RecordOutcomes,
        options: WorkerOptions,
    ) -> None:
        self._queue = queue
        self._claim = claim
        self._run = run
        self._record = record
        self._options = options
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        await until_available(self._queue.ensure_groups, stop, "creating consumer groups")
        block_ms = int(self._options.block.total_seconds() * 1000)
        while not stop.is_set():
            free = self._options.concurrency - len(self._in_flight)
            if free <= 0:
                await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                claimed = await self._next_batch(
                    min(free, self._options.batch_size), block_ms, stop
                )
            except OUTAGES as exc:
                log.warning("cannot read or claim jobs, retrying: %s", exc)
                await sleep_unless_stopped(stop, 1.0)
                continue
            for item in claimed:
                task = asyncio.create_task(self._attempt(item, stop))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        await self._drain()

    async def _next_batch(self, count: int, block_ms: int, stop: asyncio.Event) -> list[Claimed]:
        receive = asyncio.ensure_future(
            self._queue.receive(self._options.consumer, count, block_ms)
        )
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({receive, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if receive not in done:
            # A read cut short may already have delivered messages; they stay pending
            # in the group, unacknowledged, and are reclaimed like a crashed worker's.
            receive.cancel()
            return []
        return await self._claim(receive.result())

    async def _attempt(self, item: Claimed, stop: asyncio.Event) -> None:
        finished = await self._run(item.job)
        log.info(
            "job %s (%s) attempt %d: %s",
            finished.id,
            finished.job_type,
            finished.attempt,
            finished.status.value,
        )
        outcome = [Claimed(item.message_id, finished)]
        await until_available(lambda: self._record(outcome), asyncio.Event(), "recording outcome")

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        grace = self._options.shutdown_grace.total_seconds()
        log.info("stopping: waiting up to %gs for %d attempts", grace, len(self._in_flight))
        _, unfinished = await asyncio.wait(self._in_flight, timeout=grace)
        for task in unfinished:
            task.cancel()
        if unfinished:
            log.warning("cancelled %d attempts still running after the grace", len(unfinished))
            await asyncio.wait(unfinished)
