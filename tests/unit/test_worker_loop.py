"""The worker runtime over in-memory ports and a timer the test moves: slots, leases,
cancellation and shutdown, with no Redis, no PostgreSQL and no real waiting."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from taskforge_app.cancel_job import CancelJob
from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.extend_leases import ExtendLeases
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.list_jobs import GetAttempts
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.runtime.queue_choice import WeightedQueueChoice
from taskforge_app.runtime.queue_reader import QueueReader
from taskforge_app.runtime.worker_loop import WorkerLoop, WorkerOptions
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    FakeChannel,
    FixedClock,
    InMemoryAuditTrail,
    InMemoryJobRepository,
    ManualTimer,
    RecordingJobEvents,
    settle,
)

LEASE = timedelta(seconds=30)
GRACE = timedelta(seconds=10)


@dataclass
class Gates:
    """A handler that runs until the test lets its job finish."""

    started: list[UUID] = field(default_factory=list)
    running: set[UUID] = field(default_factory=set)
    most_at_once: int = 0
    cancelled: list[UUID] = field(default_factory=list)
    _open: dict[tuple[UUID, int], asyncio.Event] = field(default_factory=dict)
    _finished: set[UUID] = field(default_factory=set)

    async def handler(self, job: Any) -> str:
        self.started.append(job.id)
        self.running.add(job.id)
        self.most_at_once = max(self.most_at_once, len(self.running))
        try:
            await self._gate(job.id, job.attempt).wait()
        except asyncio.CancelledError:
            self.cancelled.append(job.id)
            raise
        finally:
            self.running.discard(job.id)
        return "done"

    def finish(self, job_id: UUID) -> None:
        """Let every attempt of the job finish, those still to come too."""
        self._finished.add(job_id)
        for (gated_job, _), gate in self._open.items():
            if gated_job == job_id:
                gate.set()

    def finish_attempt(self, job_id: UUID, attempt: int) -> None:
        self._gate(job_id, attempt).set()

    def _gate(self, job_id: UUID, attempt: int) -> asyncio.Event:
        gate = self._open.setdefault((job_id, attempt), asyncio.Event())
        if job_id in self._finished:
            gate.set()
        return gate


class SlowClaimJobs(ClaimJobs):
    """Claims whose answer arrives `takes` seconds of the test's timer after they were sent."""

    def __init__(self, takes: float, timer: ManualTimer, *args: Any) -> None:
        super().__init__(*args)
        self._takes = takes
        self._timer = timer

    async def __call__(self, deliveries: Any, worker: str) -> Any:
        claimed = await super().__call__(deliveries, worker)
        if self._takes:
            await self._timer.advance(self._takes)
        return claimed


@dataclass
class Worker:
    loop: WorkerLoop
    stop: asyncio.Event
    task: "asyncio.Task[None]"


@pytest.fixture
def timer() -> ManualTimer:
    return ManualTimer()


@pytest.fixture
def gates() -> Gates:
    return Gates()


@pytest.fixture
def worker_policy(policy: ExecutionPolicy) -> ExecutionPolicy:
    return ExecutionPolicy(timeout=timedelta(hours=1), lease=LEASE, backoff=policy.backoff)


def start_worker(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    gates: Gates,
    timer: ManualTimer,
    recorded: RecordingJobEvents,
    concurrency: int = 2,
    claim_takes: float = 0.0,
) -> Worker:
    registry = HandlerRegistry()
    registry.register("gated", gates.handler)
    queue.blocks = True
    loop = WorkerLoop(
        queue,
        QueueReader(queue, WeightedQueueChoice({"normal": 1}, timer)),
        SlowClaimJobs(claim_takes, timer, jobs, queue, clock, policy),
        RunJob(registry, clock, policy),
        RecordOutcomes(jobs, jobs, queue, queue, clock, policy, recorded),
        ExtendLeases(jobs, clock, policy),
        WorkerOptions(
            consumer="worker-1",
            concurrency=concurrency,
            batch_size=10,
            block=timedelta(seconds=2),
            lease=LEASE,
            shutdown_grace=GRACE,
        ),
        timer,
    )
    stop = asyncio.Event()
    return Worker(loop, stop, asyncio.create_task(loop.run(stop)))


@pytest.fixture
def launch(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    worker_policy: ExecutionPolicy,
    gates: Gates,
    timer: ManualTimer,
    recorded: RecordingJobEvents,
) -> Callable[[], Worker]:
    """Starts a worker on this test's fakes and timer."""
    return lambda: start_worker(jobs, queue, clock, worker_policy, gates, timer, recorded)


@pytest_asyncio.fixture
async def worker(launch: Callable[[], Worker], gates: Gates) -> AsyncIterator[Worker]:
    running = launch()
    yield running
    running.stop.set()
    for job_id in list(gates.running):
        gates.finish(job_id)
    await asyncio.wait_for(running.task, 5)


def submit(jobs: InMemoryJobRepository, queue: FakeChannel, count: int) -> list[Job]:
    submitted = [
        Job.submit(job_id=uuid4(), job_type="gated", payload={}, max_attempts=3, now=START)
        for _ in range(count)
    ]
    jobs.put(*submitted)
    queue.deliver(*(job.id for job in submitted))
    return submitted


async def test_a_worker_never_runs_more_attempts_than_its_slots_and_refills_a_freed_one(
    worker: Worker, jobs: InMemoryJobRepository, queue: FakeChannel, gates: Gates
) -> None:
    submitted = submit(jobs, queue, 5)
    await settle()

    assert len(gates.started) == 2
    assert worker.loop.in_flight == 2
    assert len(queue.inbox) == 3, "a full worker reads nothing it cannot start"

    gates.finish(gates.started[0])
    await settle()

    assert len(gates.started) == 3
    for job_id in [job.id for job in submitted]:
        gates.finish(job_id)
        await settle()
    assert {jobs.jobs[job.id].status for job in submitted} == {JobStatus.COMPLETED}
    assert gates.most_at_once == 2
    assert worker.loop.in_flight == 0
    assert not queue.unacked


async def test_leases_are_renewed_every_third_of_the_lease_while_the_handler_runs(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    timer: ManualTimer,
    gates: Gates,
) -> None:
    [job] = submit(jobs, queue, 1)
    await settle()
    first_lease = jobs.jobs[job.id].lease_expires_at

    clock.advance(timedelta(seconds=10))
    await timer.advance(LEASE.total_seconds() / 3)

    assert jobs.jobs[job.id].lease_expires_at == START + timedelta(seconds=10) + LEASE
    assert first_lease == START + LEASE
    assert gates.running == {job.id}


async def test_an_attempt_whose_lease_was_taken_is_cancelled_and_writes_nothing(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    timer: ManualTimer,
    gates: Gates,
    backoff: Any,
) -> None:
    [job] = submit(jobs, queue, 1)
    await settle()
    # The reaper decided the attempt was lost and the job already runs again elsewhere.
    lost = jobs.jobs[job.id].fail("lease expired", START, backoff)
    elsewhere = lost.enqueue(START).start(START, LEASE, worker="worker-2")
    jobs.put(elsewhere)

    await timer.advance(LEASE.total_seconds() / 3)

    assert gates.cancelled == [job.id]
    assert jobs.jobs[job.id] == elsewhere
    assert worker.loop.in_flight == 0


async def test_a_lost_attempt_finishing_late_leaves_the_next_attempt_here_its_lease(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    timer: ManualTimer,
    gates: Gates,
) -> None:
    [job] = submit(jobs, queue, 1)
    await settle()
    # Cut off from the store for a whole lease: the scheduler ends the attempt as lost
    # and this very worker starts the next one before its renewal tells it so.
    jobs.put(jobs.jobs[job.id].lose_attempt("lease expired", START).enqueue(START))
    queue.deliver(job.id)
    await settle()
    assert jobs.jobs[job.id].attempt == 2
    assert worker.loop.in_flight == 1

    gates.finish_attempt(job.id, 1)
    await settle()
    clock.advance(timedelta(seconds=10))
    await timer.advance(LEASE.total_seconds() / 3)

    renewed = jobs.jobs[job.id]
    assert (renewed.status, renewed.attempt) == (JobStatus.RUNNING, 2)
    assert renewed.lease_expires_at == START + timedelta(seconds=10) + LEASE
    gates.finish_attempt(job.id, 2)
    await settle()
    assert jobs.jobs[job.id].status is JobStatus.COMPLETED
    assert jobs.jobs[job.id].attempt == 2


async def test_an_attempt_that_cannot_renew_its_lease_stops_before_the_lease_runs_out(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    timer: ManualTimer,
    gates: Gates,
) -> None:
    [job] = submit(jobs, queue, 1)
    await settle()
    jobs.unavailable = True
    renewal = LEASE.total_seconds() / 3

    # Two renewals fail; the handler goes on until half a renewal before the lease ends.
    await timer.advance(renewal)
    await timer.advance(renewal)
    await timer.advance(renewal / 2 - 0.5)
    assert gates.running == {job.id}
    await timer.advance(0.5)

    assert gates.cancelled == [job.id], "stopped before a scheduler can hand the job on"
    assert worker.loop.in_flight == 0
    stored = jobs.jobs[job.id]
    assert (stored.status, stored.attempt) == (JobStatus.RUNNING, 1), "nothing was written"
    jobs.unavailable = False


async def test_an_attempt_whose_renewals_succeed_runs_for_many_leases(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    timer: ManualTimer,
    gates: Gates,
) -> None:
    [job] = submit(jobs, queue, 1)
    await settle()
    renewal = LEASE / 3

    for _ in range(10):
        clock.advance(renewal)
        await timer.advance(renewal.total_seconds())

    assert gates.running == {job.id}
    assert not gates.cancelled
    assert jobs.jobs[job.id].lease_expires_at == clock.now() + LEASE


async def test_a_claim_answering_after_most_of_the_lease_starts_no_handler(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    worker_policy: ExecutionPolicy,
    gates: Gates,
    timer: ManualTimer,
    recorded: RecordingJobEvents,
) -> None:
    late = start_worker(jobs, queue, clock, worker_policy, gates, timer, recorded, claim_takes=26.0)
    [job] = submit(jobs, queue, 1)
    await settle()

    assert gates.started == []
    assert late.loop.in_flight == 0
    assert jobs.jobs[job.id].status is JobStatus.RUNNING, "left for the reaper to end as lost"
    late.stop.set()
    await asyncio.wait_for(late.task, 5)


async def test_a_cancel_request_stops_the_handler_and_the_attempt_ends_cancelled(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    timer: ManualTimer,
    gates: Gates,
    recorded: RecordingJobEvents,
) -> None:
    [job] = submit(jobs, queue, 1)
    await settle()

    await CancelJob(jobs, clock, InMemoryAuditTrail())(job.id)
    await timer.advance(LEASE.total_seconds() / 3)

    assert gates.cancelled == [job.id]
    assert jobs.jobs[job.id].status is JobStatus.CANCELLED
    assert [a.outcome for a in await GetAttempts(jobs)(job.id)] == ["cancelled"]
    assert [j.status for j in recorded.finished_jobs] == [JobStatus.CANCELLED]


async def test_on_stop_running_attempts_get_the_grace_then_are_cancelled_and_released(
    launch: Callable[[], Worker],
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    gates: Gates,
    timer: ManualTimer,
) -> None:
    worker = launch()
    finishing, hanging = submit(jobs, queue, 2)
    await settle()

    worker.stop.set()
    await settle()
    assert not worker.task.done(), "the worker waits for its attempts"
    gates.finish(finishing.id)
    await timer.advance(GRACE.total_seconds() - 1)
    assert not worker.task.done()
    assert jobs.jobs[finishing.id].status is JobStatus.COMPLETED

    await timer.advance(1)
    await asyncio.wait_for(worker.task, 5)

    assert gates.cancelled == [hanging.id]
    released = jobs.jobs[hanging.id]
    assert released.status is JobStatus.RUNNING
    assert released.lease_expires_at is not None
    assert released.lease_expires_at <= clock.now(), "released for the reaper to take at once"


async def test_a_stopped_idle_worker_returns_without_waiting_for_a_message(
    launch: Callable[[], Worker], queue: FakeChannel
) -> None:
    worker = launch()
    await settle()

    worker.stop.set()

    await asyncio.wait_for(worker.task, 5)
    assert queue.groups_ensured


async def test_an_attempt_past_the_timeout_is_stopped_and_retried_later(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    timer: ManualTimer,
    gates: Gates,
    worker_policy: ExecutionPolicy,
) -> None:
    slow, quick = submit(jobs, queue, 2)
    await settle()
    gates.finish(quick.id)
    await settle()
    timeout = worker_policy.timeout.total_seconds()

    await timer.advance(timeout - 1)
    assert gates.running == {slow.id}, "the deadline is the attempt's, not earlier"
    await timer.advance(1)

    assert gates.cancelled == [slow.id]
    stopped = jobs.jobs[slow.id]
    assert stopped.status is JobStatus.RETRYING
    assert stopped.last_error == f"attempt timed out after {timeout:g}s"
    assert jobs.jobs[quick.id].status is JobStatus.COMPLETED
    assert worker.loop.in_flight == 0


async def test_a_batch_that_finished_leaves_no_deadline_behind(
    worker: Worker,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    timer: ManualTimer,
    gates: Gates,
) -> None:
    for job in submit(jobs, queue, 2):
        gates.finish(job.id)
    await settle()

    # What still sleeps on the timer is the lease renewal and its fence alone.
    assert timer.sleeping == 2


async def test_at_start_a_worker_runs_what_an_earlier_run_of_its_name_left_unacknowledged(
    launch: Callable[[], Worker],
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    gates: Gates,
) -> None:
    waiting, finished = submit(jobs, queue, 2)
    # The earlier run read both and crashed; one job finished meanwhile elsewhere.
    await queue.receive("worker-1", ["normal"], 10, None)
    jobs.put(finished.enqueue(START).start(START, LEASE).complete(None, START))

    running = launch()
    await settle()

    assert gates.started == [waiting.id]
    assert list(queue.unacked) == [m for m, d in queue.unacked.items() if d.job_id == waiting.id]
    gates.finish(waiting.id)
    running.stop.set()
    await asyncio.wait_for(running.task, 5)
    assert jobs.jobs[waiting.id].status is JobStatus.COMPLETED
    assert not queue.unacked
