"""A silent worker's attempts run again at once and its unacknowledged messages are
delivered again; a live worker keeps everything; a scheduler that lost the store waits."""

from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import ChannelUnavailable, StoreUnavailable, WorkerIdentity
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.recover_silent_workers import RecoverSilentWorkers
from taskforge_app.worker_liveness import WorkerLiveness
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import FakeChannel, FixedClock, InMemoryJobRepository, InMemoryWorkerPresence

LIVENESS = timedelta(seconds=5)
LEASE = timedelta(seconds=30)


@dataclass
class Scene:
    """A scheduler's recovery over fake workers, jobs and streams, on a clock the test moves."""

    recover: RecoverSilentWorkers
    presence: InMemoryWorkerPresence
    jobs: InMemoryJobRepository
    queue: FakeChannel
    clock: FixedClock

    def waiting_job(self, attempts: int = 3) -> Job:
        job = Job.submit(
            job_id=uuid4(), job_type="ping", payload={}, max_attempts=attempts, now=self.clock.now()
        )
        self.jobs.put(job.enqueue(self.clock.now()))
        self.queue.deliver(job.id)
        return job

    async def running_on(self, name: str, attempts: int = 3) -> Job:
        job = self.waiting_job(attempts)
        [delivery] = await self.queue.receive(name, ["normal"], 1, None)
        [started] = await self.jobs.claim([job.id], self.clock.now(), LEASE, name)
        assert delivery.job_id == started.id
        return started

    async def worker_running_a_job(
        self, name: str, attempts: int = 3
    ) -> tuple[WorkerIdentity, Job]:
        """A registered worker with one attempt running, heard out by the scheduler once."""
        me = WorkerIdentity(name, uuid4(), "host", 1, ("normal",))
        await self.presence.register(me, LIVENESS)
        job = await self.running_on(name, attempts)
        assert await self.recover() == 0  # the scheduler first hears the workers out
        return me, job

    def silence_past_the_liveness(self) -> None:
        self.clock.advance(LIVENESS + timedelta(seconds=1))


@pytest.fixture
def scene(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> Scene:
    presence = InMemoryWorkerPresence(jobs, clock)
    reap = ReapExpiredAttempts(jobs, jobs, queue, clock, policy)
    promote = PromoteDueRetries(jobs, queue, clock, batch_size=100)
    recover = RecoverSilentWorkers(
        presence, reap, promote, queue, queue, jobs, queue, clock, WorkerLiveness(LIVENESS)
    )
    return Scene(recover, presence, jobs, queue, clock)


async def test_a_silent_workers_attempt_runs_again_at_once_and_its_consumer_goes(
    scene: Scene,
) -> None:
    _, lost = await scene.worker_running_a_job("dead")
    # A message the worker read and never claimed: its job still waits.
    waiting = scene.waiting_job()
    await scene.queue.receive("dead", ["normal"], 1, None)
    scene.silence_past_the_liveness()

    assert await scene.recover() == 1

    again = scene.jobs.jobs[lost.id]
    assert (again.status, again.attempt) == (JobStatus.QUEUED, 1)
    assert again.last_error is not None
    assert "lost" in again.last_error
    assert set(scene.queue.published_ids) == {lost.id, waiting.id}
    assert await scene.queue.unacknowledged("dead", 10) == []
    assert scene.queue.removed_consumers == ["dead"]
    assert scene.presence.workers == {}


async def test_a_live_worker_keeps_its_attempts_however_long_they_run(scene: Scene) -> None:
    me, job = await scene.worker_running_a_job("live")
    for _ in range(10):
        scene.clock.advance(LIVENESS - timedelta(seconds=1))
        assert await scene.presence.announce(me, in_flight=1)
        assert await scene.recover() == 0

    assert scene.jobs.jobs[job.id].status is JobStatus.RUNNING
    assert scene.queue.published_ids == []


async def test_an_attempt_lost_with_no_attempt_left_ends_dead(scene: Scene) -> None:
    _, job = await scene.worker_running_a_job("dead", attempts=1)
    scene.silence_past_the_liveness()

    await scene.recover()

    assert scene.jobs.jobs[job.id].status is JobStatus.DEAD
    assert [letter.job_id for letter in scene.queue.dead_letters] == [job.id]


async def test_after_losing_the_store_a_scheduler_retires_no_one_for_a_whole_liveness(
    scene: Scene,
) -> None:
    me, job = await scene.worker_running_a_job("live")
    scene.presence.unavailable = True
    scene.clock.advance(LIVENESS * 3)
    with pytest.raises(StoreUnavailable):
        await scene.recover()
    scene.presence.unavailable = False

    # Back: the worker's heartbeat has not come through yet, but it is not taken for gone.
    assert await scene.recover() == 0
    assert scene.jobs.jobs[job.id].status is JobStatus.RUNNING
    assert await scene.presence.announce(me, in_flight=1)
    scene.clock.advance(LIVENESS)
    assert await scene.recover() == 0
    assert scene.jobs.jobs[job.id].status is JobStatus.RUNNING


async def test_a_pass_cut_short_by_a_channel_outage_is_finished_by_the_next_one(
    scene: Scene,
) -> None:
    _, lost = await scene.worker_running_a_job("dead")
    scene.silence_past_the_liveness()
    scene.queue.unavailable = True

    with pytest.raises(ChannelUnavailable):
        await scene.recover()
    # The attempt is ended and the job queued; only its message is missing.
    assert scene.jobs.jobs[lost.id].status is JobStatus.QUEUED
    assert "dead" in scene.presence.workers

    scene.queue.unavailable = False
    assert await scene.recover() == 1
    assert scene.queue.published_ids == [lost.id]
    assert scene.presence.workers == {}
