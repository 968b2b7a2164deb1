import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from taskforge_app.claim_jobs import Claimed, ClaimJobs
from taskforge_app.extend_leases import ExtendLeases
from taskforge_app.job_log_context import current_job, job_context
from taskforge_app.ports import Delivery, WorkConsumer
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped, until_available
from taskforge_app.runtime.outcome_batcher import OutcomeBatcher
from taskforge_app.runtime.pause_gate import PauseGate
from taskforge_app.runtime.queue_reader import QueueReader
from taskforge_app.runtime.timer import REAL_TIME, Timer
from taskforge_domain.job_status import JobStatus

log = logging.getLogger("taskforge.worker")


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    consumer: str
    concurrency: int
    batch_size: int
    block: timedelta
    lease: timedelta
    shutdown_grace: timedelta

    @property
    def renew_every(self) -> float:
        """Seconds between lease renewals: a third of the lease, so two renewals can fail
        before a live attempt loses its lease."""
        return self.lease.total_seconds() / 3

    @property
    def fence_margin(self) -> float:
        """Seconds before its lease runs out, as this worker last had it confirmed, at
        which an attempt that could not renew it is stopped: half a renewal, so the
        handler has ended before a scheduler can take the attempt for lost."""
        return self.renew_every / 2


@dataclass(slots=True, eq=False)
class _Attempt:
    claimed: Claimed
    task: "asyncio.Task[None]"
    held_until: float
    """The monotonic time its lease runs out at the latest, as last confirmed: read
    before the claim or renewal was sent, so never later than the store's."""
    in_handler: bool = True
    lease_lost: bool = False
    cancel_requested: bool = False
    timed_out: bool = False


@dataclass(slots=True)
class _Batch:
    """Attempts claimed together start together, so they share one deadline: a timer per
    attempt cost more than a no-op handler."""

    unfinished: set[_Attempt]
    """Only these are held: a batch with one slow attempt keeps none of the others."""
    deadline: "asyncio.Task[None] | None" = None


class WorkerLoop:
    """Read up to the free slots, claim the batch, run each attempt concurrently.

    A read never waits for a batch to fill: it takes what is there. Leases of
    running attempts are renewed every third of the lease; an attempt whose lease
    was taken away is cancelled, and so is one whose lease could not be renewed by
    half a renewal before it runs out, while no scheduler may take it yet. Messages
    idle for a whole lease in any consumer's pending list are taken over, so a
    crashed worker strands none; at start it runs what an earlier run under its name
    left unacknowledged. On stop it reads no more, gives running attempts the grace
    period, then cancels them and releases their leases so the scheduler retries
    them at once.
    """

    def __init__(
        self,
        consumer: WorkConsumer,
        reader: QueueReader,
        claim: ClaimJobs,
        run: RunJob,
        record: RecordOutcomes,
        extend_leases: ExtendLeases,
        options: WorkerOptions,
        timer: Timer = REAL_TIME,
        gate: PauseGate | None = None,
    ) -> None:
        self._consumer = consumer
        self._reader = reader
        self._claim = claim
        self._run = run
        self._extend_leases = extend_leases
        self._options = options
        self._timer = timer
        self._outcomes = OutcomeBatcher(record, max_batch=max(options.batch_size, 100), timer=timer)
        self._running: dict[UUID, _Attempt] = {}
        self._next_reclaim = 0.0
        self._gate = PauseGate() if gate is None else gate

    @property
    def in_flight(self) -> int:
        """Attempts this worker holds now: running, or writing their outcome."""
        return len(self._running)

    async def run(self, stop: asyncio.Event) -> None:
        await until_available(self._consumer.prepare, stop, "preparing to read", timer=self._timer)
        # Nothing is claimed before the paused queues are known.
        await until_available(self._gate.refresh, stop, "reading paused queues", timer=self._timer)
        heartbeat = asyncio.create_task(self._renew_leases(stop))
        fence = asyncio.create_task(self._fence_unrenewed_leases())
        writer = asyncio.create_task(self._outcomes.run())
        pauses = asyncio.create_task(self._gate.follow(stop))
        try:
            await until_available(
                self._take_back_leftovers,
                stop,
                "reading an earlier run's messages",
                timer=self._timer,
            )
            await self._consume(stop)
            await self._drain()
        finally:
            for task in (heartbeat, fence, writer, pauses):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _consume(self, stop: asyncio.Event) -> None:
        block_ms = int(self._options.block.total_seconds() * 1000)
        while not stop.is_set():
            free = self._options.concurrency - len(self._running)
            if free <= 0:
                await self._until_a_slot_frees(stop)
                continue
            try:
                wanted = min(free, self._options.batch_size)
                deliveries = self._gate.admit(
                    self._gate.released(wanted)
                    or await self._next_deliveries(wanted, block_ms, stop)
                )
                claimed_at = self._timer.monotonic()
                claimed = (
                    await self._claim(deliveries, self._options.consumer) if deliveries else []
                )
            except OUTAGES as exc:
                log.warning("cannot read or claim jobs, retrying: %s", exc)
                await sleep_unless_stopped(stop, 1.0, self._timer)
                continue
            except Exception:
                # Whatever it was, the messages stay pending and are taken over later.
                log.exception("reading or claiming jobs failed unexpectedly, retrying")
                await sleep_unless_stopped(stop, 1.0, self._timer)
                continue
            if claimed:
                self._start_batch(claimed, claimed_at)

    async def _take_back_leftovers(self) -> None:
        """Run what an earlier run under this name received and never acknowledged: once,
        at start, while the pending list holds nothing of this run's own. Messages of
        attempts it was running are stale by now and are acknowledged by the claim."""
        limit = self._options.concurrency + self._options.batch_size
        leftovers = await self._consumer.unacknowledged(self._options.consumer, limit)
        if not leftovers:
            return
        claimed_at = self._timer.monotonic()
        claimed = await self._claim(self._gate.admit(leftovers), self._options.consumer)
        log.info(
            "took back %d messages an earlier run left unacknowledged; %d jobs to run",
            len(leftovers),
            len(claimed),
        )
        if claimed:
            self._start_batch(claimed, claimed_at)

    async def _next_deliveries(
        self, count: int, block_ms: int, stop: asyncio.Event
    ) -> list[Delivery]:
        if self._timer.monotonic() >= self._next_reclaim:
            self._next_reclaim = self._timer.monotonic() + self._options.lease.total_seconds()
            idle_ms = int(self._options.lease.total_seconds() * 1000)
            reclaimed = await self._consumer.reclaim_idle(
                self._options.consumer, idle_ms, count, skip=self._gate.paused
            )
            if reclaimed:
                log.info("took over %d messages idle for a whole lease", len(reclaimed))
                return reclaimed
        receive = asyncio.ensure_future(self._reader.read(self._options.consumer, count, block_ms))
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({receive, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if receive not in done:
            # A read cut short may still have delivered messages; they stay pending
            # in the group and are taken over once idle, like a crashed worker's.
            receive.cancel()
            return []
        return receive.result()

    async def _until_a_slot_frees(self, stop: asyncio.Event) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        tasks = {attempt.task for attempt in self._running.values()}
        await asyncio.wait({stopped, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()

    def _start_batch(self, claimed: list[Claimed], claimed_at: float) -> None:
        batch = _Batch(set())
        held_until = claimed_at + self._options.lease.total_seconds()
        for item in claimed:
            attempt = _Attempt(item, asyncio.create_task(self._attempt(item)), held_until)
            self._running[item.job.id] = attempt
            batch.unfinished.add(attempt)
            attempt.task.add_done_callback(functools.partial(self._forget, attempt, batch))
        batch.deadline = asyncio.create_task(self._time_out(batch))

    def _forget(self, attempt: _Attempt, batch: _Batch, _: "asyncio.Task[None]") -> None:
        # The job's next attempt may already run here while this one still acks.
        if self._running.get(attempt.claimed.job.id) is attempt:
            del self._running[attempt.claimed.job.id]
        batch.unfinished.discard(attempt)
        if not batch.unfinished and batch.deadline is not None:
            batch.deadline.cancel()

    async def _time_out(self, batch: _Batch) -> None:
        await self._timer.sleep(self._run.timeout_seconds)
        for attempt in list(batch.unfinished):
            if attempt.in_handler and not attempt.task.done():
                attempt.timed_out = True
                attempt.task.cancel()

    async def _attempt(self, item: Claimed) -> None:
        current_job.set(item.job)
        attempt = self._own(item)
        if attempt is not None and self._past_fence(attempt, self._timer.monotonic()):
            # The claim answered so late that the lease is nearly gone: starting the
            # handler now could run it beside the attempt a scheduler starts next.
            self._give_up_lease(attempt)
            return
        try:
            finished = await self._run(item.job, timed=False)
        except asyncio.CancelledError:
            attempt = self._own(item)
            if attempt is None or not (attempt.cancel_requested or attempt.timed_out):
                raise
            # Cancelled on an operator's request or at the timeout: the attempt ends, and
            # is recorded.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            cancelled = attempt.cancel_requested
            finished = self._run.cancelled(item.job) if cancelled else self._run.timed_out(item.job)
        attempt = self._own(item)
        if attempt is None or attempt.lease_lost:
            # The store moved on to a later attempt, or is about to: this outcome would
            # be refused.
            return
        # From here the outcome is being written: a lease renewal that no longer finds the
        # attempt running must not cancel its bookkeeping.
        attempt.in_handler = False
        level = logging.DEBUG if finished.status is JobStatus.COMPLETED else logging.INFO
        if log.isEnabledFor(level):
            log.log(
                level,
                "job %s (%s) attempt %d: %s %s",
                finished.id,
                finished.job_type,
                finished.attempt,
                finished.status.value,
                finished.last_error or "",
                extra=job_context(finished, self._options.consumer),
            )
        await self._outcomes.record(Claimed(item.message_id, finished, item.limited))

    def _own(self, item: Claimed) -> _Attempt | None:
        """The bookkeeping of this very attempt. After a lost lease the job's next attempt
        may run here while the lost one's handler still finishes; looked up by job alone,
        the lost attempt would stop the renewals of the live one."""
        attempt = self._running.get(item.job.id)
        return attempt if attempt is not None and attempt.claimed is item else None

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        lease = self._options.lease.total_seconds()
        while True:
            await self._timer.sleep(self._options.renew_every)
            running = [a for a in self._running.values() if a.in_handler and not a.lease_lost]
            sent_at = self._timer.monotonic()
            try:
                check = await self._extend_leases([a.claimed.job for a in running])
            except Exception as exc:
                log.warning("cannot renew leases: %s", exc)
                continue
            for attempt in running:
                job = attempt.claimed.job
                if not attempt.in_handler or attempt.lease_lost:
                    continue
                if job.id in check.lost:
                    log.warning(
                        "job %s attempt %d lost its lease; cancelling it",
                        job.id,
                        job.attempt,
                        extra=job_context(job, self._options.consumer),
                    )
                    attempt.lease_lost = True
                    attempt.task.cancel()
                    continue
                attempt.held_until = sent_at + lease
                if job.id in check.cancel_requested and not attempt.cancel_requested:
                    log.info(
                        "job %s attempt %d: cancellation requested",
                        job.id,
                        job.attempt,
                        extra=job_context(job, self._options.consumer),
                    )
                    attempt.cancel_requested = True
                    attempt.task.cancel()

    async def _fence_unrenewed_leases(self) -> None:
        """Stop each attempt whose lease this worker could not renew in time, before the
        lease runs out in the store. Otherwise a worker whose renewals stall (a slow or
        unreachable store, a starved process) runs handlers on that a scheduler has
        already handed on: one job twice at once, or a limited type past its limit."""
        margin = self._options.fence_margin
        while True:
            now = self._timer.monotonic()
            upcoming = [margin]
            for attempt in list(self._running.values()):
                if not attempt.in_handler or attempt.lease_lost:
                    continue
                if self._past_fence(attempt, now):
                    self._give_up_lease(attempt)
                    attempt.task.cancel()
                else:
                    upcoming.append(attempt.held_until - margin - now)
            # An attempt started meanwhile is looked at within a margin, before its lease
            # can run out.
            await self._timer.sleep(min(upcoming))

    def _past_fence(self, attempt: _Attempt, now: float) -> bool:
        return now >= attempt.held_until - self._options.fence_margin

    def _give_up_lease(self, attempt: _Attempt) -> None:
        job = attempt.claimed.job
        log.warning(
            "job %s attempt %d: its lease was not confirmed in time; stopping it before "
            "the lease runs out",
            job.id,
            job.attempt,
            extra=job_context(job, self._options.consumer),
        )
        attempt.lease_lost = True

    async def _drain(self) -> None:
        if not self._running:
            return
        grace = self._options.shutdown_grace.total_seconds()
        log.info("stopping: waiting up to %gs for %d attempts", grace, len(self._running))
        tasks = {attempt.task for attempt in self._running.values()}
        graced = asyncio.ensure_future(self._timer.sleep(grace))
        all_done = asyncio.ensure_future(asyncio.wait(tasks))
        await asyncio.wait({graced, all_done}, return_when=asyncio.FIRST_COMPLETED)
        graced.cancel()
        all_done.cancel()
        unfinished = {task for task in tasks if not task.done()}
        if not unfinished:
            return
        interrupted = [a.claimed.job for a in self._running.values() if a.task in unfinished]
        for task in unfinished:
            task.cancel()
        await asyncio.wait(unfinished)
        log.warning("cancelled %d attempts still running after the grace", len(unfinished))
        with contextlib.suppress(*OUTAGES):
            await self._extend_leases.release(interrupted)
