from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.claim_jobs import Claimed, ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.repair_delivery import RepairDelivery, RepairPolicy
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_app.run_job import RunJob
from taskforge_app.submit_jobs import SubmitDefaults
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import InvalidTransition, JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    EventLog,
    FakeChannel,
    FixedClock,
    InMemoryAuditTrail,
    InMemoryJobRepository,
    RacingJobRepository,
    draw_highest,
)

LEASE = timedelta(seconds=30)
BACKOFF = FullJitterBackoff(timedelta(seconds=1), timedelta(minutes=1), draw_highest)
DEFAULT_BUDGET = 5
REPLAYED_AT = START + timedelta(hours=2)


def replayer(jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock) -> ReplayDeadJob:
    return ReplayDeadJob(
        jobs, queue, clock, SubmitDefaults(max_attempts=DEFAULT_BUDGET), InMemoryAuditTrail()
    )


@pytest.fixture
def replay(jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock) -> ReplayDeadJob:
    clock.advance(REPLAYED_AT - START)
    return replayer(jobs, queue, clock)


def dead_after(attempts: int, job_type: str = "fail") -> Job:
    """A job whose every one of `attempts` attempts failed."""
    job = Job.submit(
        job_id=uuid4(), job_type=job_type, payload={}, max_attempts=attempts, now=START
    )
    for number in range(1, attempts + 1):
        job = job.enqueue(START).start(START, LEASE, "worker-1")
        job = job.fail(f"RetryableError: attempt {number}", START, BACKOFF)
    assert (job.status, job.attempt) == (JobStatus.DEAD, attempts)
    return job


async def test_a_dead_job_is_queued_again_with_a_fresh_budget_and_published(
    replay: ReplayDeadJob, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    dead = dead_after(3)
    jobs.put(dead)

    replayed = await replay(dead.id)

    assert (replayed.status, replayed.attempt, replayed.max_attempts) == (
        JobStatus.QUEUED,
        3,
        3 + DEFAULT_BUDGET,
    )
    assert (replayed.replays, replayed.run_at, replayed.updated_at) == (1, REPLAYED_AT, REPLAYED_AT)
    assert replayed.last_error == "RetryableError: attempt 3"
    assert jobs.jobs[dead.id] == replayed
    assert queue.published == [replayed]


async def test_a_replay_asking_for_a_number_of_attempts_gets_that_budget(
    replay: ReplayDeadJob, jobs: InMemoryJobRepository
) -> None:
    dead = dead_after(2)
    jobs.put(dead)

    replayed = await replay(dead.id, attempts=1)

    assert (replayed.max_attempts, replayed.attempts_left) == (3, 1)


async def test_the_replay_is_written_before_it_is_published(
    replay: ReplayDeadJob, jobs: InMemoryJobRepository, events: EventLog
) -> None:
    dead = dead_after(1)
    jobs.put(dead)

    await replay(dead.id)

    assert events.entries == [("store.replace", (dead.id,)), ("queue.publish", (dead.id,))]


def not_dead(status: JobStatus) -> Job:
    fresh = Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={},
        max_attempts=3,
        now=START,
        run_at=START + timedelta(hours=1) if status is JobStatus.SCHEDULED else None,
    )
    steps: dict[JobStatus, Callable[[Job], Job]] = {
        JobStatus.PENDING: lambda job: job,
        JobStatus.SCHEDULED: lambda job: job,
        JobStatus.QUEUED: lambda job: job.enqueue(START),
        JobStatus.RUNNING: lambda job: job.start(START, LEASE),
        JobStatus.RETRYING: lambda job: job.start(START, LEASE).fail("boom", START, BACKOFF),
        JobStatus.COMPLETED: lambda job: job.start(START, LEASE).complete("ok", START),
        JobStatus.CANCELLED: lambda job: job.cancel(START),
    }
    job = steps[status](fresh)
    assert job.status is status
    return job


@pytest.mark.parametrize("status", [s for s in JobStatus if s is not JobStatus.DEAD])
async def test_a_job_that_is_not_dead_refuses_a_replay_and_is_left_alone(
    replay: ReplayDeadJob, jobs: InMemoryJobRepository, queue: FakeChannel, status: JobStatus
) -> None:
    job = not_dead(status)
    jobs.put(job)

    with pytest.raises(InvalidTransition) as refused:
        await replay(job.id)

    assert (refused.value.current, refused.value.target) == (job.status.value, "queued")
    assert jobs.jobs[job.id] == job
    assert queue.published == []


async def test_replaying_an_unknown_job_is_not_found(
    replay: ReplayDeadJob, queue: FakeChannel
) -> None:
    missing = uuid4()

    with pytest.raises(JobNotFound):
        await replay(missing)

    assert queue.published == []


async def test_with_the_queue_down_the_replay_stays_queued_and_the_repair_pass_publishes_it(
    replay: ReplayDeadJob, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    dead = dead_after(2)
    jobs.put(dead)
    queue.unavailable = True

    replayed = await replay(dead.id)

    assert replayed.status is JobStatus.QUEUED
    assert jobs.jobs[dead.id] == replayed
    assert queue.published == []

    queue.unavailable = False
    grace = timedelta(seconds=30)
    clock.advance(grace + timedelta(seconds=1))
    assert await RepairDelivery(jobs, queue, queue, jobs, queue, clock, RepairPolicy(grace))() == 1
    assert queue.published_ids == [dead.id]


async def test_a_replayed_job_runs_on_with_its_attempt_numbering_and_history_kept(
    replay: ReplayDeadJob,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    registry: HandlerRegistry,
) -> None:
    claim = ClaimJobs(jobs, queue, clock, policy)
    run = RunJob(registry, clock, policy)
    record = RecordOutcomes(jobs, jobs, queue, queue, clock, policy)
    job = Job.submit(job_id=uuid4(), job_type="dead", payload={}, max_attempts=3, now=START)
    jobs.put(job.enqueue(START))

    async def one_attempt() -> None:
        started = await claim(await queue.receive("worker-1", ["normal"], 10, 0), "worker-1")
        await record([Claimed(item.message_id, await run(item.job)) for item in started])

    queue.deliver(job.id)
    await one_attempt()
    await replay(job.id, attempts=2)
    await one_attempt()

    final = jobs.jobs[job.id]
    assert (final.status, final.attempt, final.replays) == (JobStatus.DEAD, 2, 1)
    history = await jobs.attempts(job.id)
    assert [(a.attempt, a.outcome) for a in history] == [(1, "dead"), (2, "dead")]
    assert [(letter.job_id, letter.attempt) for letter in queue.dead_letters] == [
        (job.id, 1),
        (job.id, 2),
    ]


async def test_of_two_operators_replaying_at_once_only_one_replays(
    queue: FakeChannel, clock: FixedClock
) -> None:
    jobs = RacingJobRepository()
    dead = dead_after(1)
    jobs.put(dead)
    other_operator = replayer(jobs, queue, clock)
    jobs.interleaved.append(lambda: other_operator(dead.id))

    with pytest.raises(InvalidTransition) as refused:
        await replayer(jobs, queue, clock)(dead.id)

    assert refused.value.current == "queued"
    assert (jobs.jobs[dead.id].status, jobs.jobs[dead.id].replays) == (JobStatus.QUEUED, 1)
    assert queue.published_ids == [dead.id]
