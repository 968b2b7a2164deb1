"""A silent worker's attempts run again at once and its unacknowledged messages are
delivered again; a live worker keeps everything; a scheduler that lost the store waits."""

from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import ChannelUnavailable, StoreUnavailable, WorkerIdentity
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.recover_silent_workers import RecoverSilentWorkers
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import FakeChannel, FixedClock, InMemoryJobRepository, InMemoryWorkerPresence

LIVENESS = timedelta(seconds=5)
LEASE = timedelta(seconds=30)


@pytest.fixture
def presence(jobs: InMemoryJobRepository, clock: FixedClock) -> InMemoryWorkerPresence:
    return InMemoryWorkerPresence(jobs, clock)


@pytest.fixture
def recover(
    presence: InMemoryWorkerPresence,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
) -> RecoverSilentWorkers:
    reap = ReapExpiredAttempts(jobs, jobs, queue, clock, policy)
    promote = PromoteDueRetries(jobs, queue, clock, batch_size=100)
    return RecoverSilentWorkers(presence, reap, promote, queue, queue, jobs, queue, clock, LIVENESS)


def worker(name: str) -> WorkerIdentity:
    return WorkerIdentity(name, uuid4(), "host", 1, ("normal",))


async def running_on(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, name: str, attempts: int = 3
) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type="ping", payload={}, max_attempts=attempts, now=clock.now()
    )
    jobs.put(job.enqueue(clock.now()))
    queue.deliver(job.id)
    [delivery] = await queue.receive(name, ["normal"], 1, None)
    [started] = await jobs.claim([job.id], clock.now(), LEASE, name)
    assert delivery.job_id == started.id
    return started


async def test_a_silent_workers_attempt_runs_again_at_once_and_its_consumer_goes(
    recover: RecoverSilentWorkers,
    presence: InMemoryWorkerPresence,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
) -> None:
    await presence.register(worker("dead"), LIVENESS)
    lost = await running_on(jobs, queue, clock, "dead")
    # A message the worker read and never claimed: its job still waits.
    waiting = Job.submit(
        job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=clock.now()
    )
    jobs.put(waiting.enqueue(clock.now()))
    queue.deliver(waiting.id)
    await queue.receive("dead", ["normal"], 1, None)
    assert await recover() == 0  # the scheduler first hears the workers out
    clock.advance(LIVENESS + timedelta(seconds=1))

    assert await recover() == 1

    again = jobs.jobs[lost.id]
    assert (again.status, again.attempt) == (JobStatus.QUEUED, 1)
    assert again.last_error is not None
    assert "lost" in again.last_error
    assert set(queue.published_ids) == {lost.id, waiting.id}
    assert await queue.unacknowledged("dead", 10) == []
    assert queue.removed_consumers == ["dead"]
    assert presence.workers == {}


async def test_a_live_worker_keeps_its_attempts_however_long_they_run(
    recover: RecoverSilentWorkers,
    presence: InMemoryWorkerPresence,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
) -> None:
    me = worker("live")
    await presence.register(me, LIVENESS)
    job = await running_on(jobs, queue, clock, "live")
    await recover()
    for _ in range(10):
        clock.advance(LIVENESS - timedelta(seconds=1))
        assert await presence.announce(me, in_flight=1)
        assert await recover() == 0

    assert jobs.jobs[job.id].status is JobStatus.RUNNING
    assert queue.published_ids == []


async def test_an_attempt_lost_with_no_attempt_left_ends_dead(
    recover: RecoverSilentWorkers,
    presence: InMemoryWorkerPresence,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
) -> None:
    await presence.register(worker("dead"), LIVENESS)
    job = await running_on(jobs, queue, clock, "dead", attempts=1)
    await recover()
    clock.advance(LIVENESS + timedelta(seconds=1))

    await recover()

    assert jobs.jobs[job.id].status is JobStatus.DEAD
    assert [letter.job_id for letter in queue.dead_letters] == [job.id]


async def test_after_losing_the_store_a_scheduler_retires_no_one_for_a_whole_liveness(
    recover: RecoverSilentWorkers,
    presence: InMemoryWorkerPresence,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
) -> None:
    me = worker("live")
    await presence.register(me, LIVENESS)
    job = await running_on(jobs, queue, clock, "live")
    await recover()
    presence.unavailable = True
    clock.advance(LIVENESS * 3)
    with pytest.raises(StoreUnavailable):
        await recover()
    presence.unavailable = False

    # Back: the worker's heartbeat has not come through yet, but it is not taken for gone.
    assert await recover() == 0
    assert jobs.jobs[job.id].status is JobStatus.RUNNING
    assert await presence.announce(me, in_flight=1)
    clock.advance(LIVENESS)
    assert await recover() == 0
    assert jobs.jobs[job.id].status is JobStatus.RUNNING


async def test_a_pass_cut_short_by_a_channel_outage_is_finished_by_the_next_one(
    recover: RecoverSilentWorkers,
    presence: InMemoryWorkerPresence,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
) -> None:
    await presence.register(worker("dead"), LIVENESS)
    lost = await running_on(jobs, queue, clock, "dead")
    await recover()
    clock.advance(LIVENESS + timedelta(seconds=1))
    queue.unavailable = True

    with pytest.raises(ChannelUnavailable):
        await recover()
    # The attempt is ended and the job queued; only its message is missing.
    assert jobs.jobs[lost.id].status is JobStatus.QUEUED
    assert "dead" in presence.workers

    queue.unavailable = False
    assert await recover() == 1
    assert queue.published_ids == [lost.id]
    assert presence.workers == {}
