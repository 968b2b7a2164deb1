from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.cancel_job import CancelJob
from taskforge_app.claim_jobs import Claimed, ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.extend_leases import ExtendLeases
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.job_changes import JobBusy
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import InvalidTransition, JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    ChurningJobRepository,
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
ASKED_AT = START + timedelta(seconds=12)


@pytest.fixture
def cancel(jobs: InMemoryJobRepository, clock: FixedClock) -> CancelJob:
    clock.advance(ASKED_AT - START)
    return CancelJob(jobs, clock, InMemoryAuditTrail())


@pytest.fixture
def run(registry: HandlerRegistry, clock: FixedClock, policy: ExecutionPolicy) -> RunJob:
    return RunJob(registry, clock, policy)


def submitted(run_at_delay: timedelta | None = None) -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={},
        max_attempts=3,
        now=START,
        run_at=START + run_at_delay if run_at_delay is not None else None,
    )


def job_in(status: JobStatus) -> Job:
    steps: dict[JobStatus, Callable[[], Job]] = {
        JobStatus.PENDING: lambda: submitted(),
        JobStatus.SCHEDULED: lambda: submitted(timedelta(hours=1)),
        JobStatus.QUEUED: lambda: submitted().enqueue(START),
        JobStatus.RUNNING: lambda: submitted().enqueue(START).start(START, LEASE, "worker-1"),
        JobStatus.RETRYING: lambda: (
            submitted().enqueue(START).start(START, LEASE).fail("boom", START, BACKOFF)
        ),
        JobStatus.COMPLETED: lambda: submitted().start(START, LEASE).complete("ok", START),
        JobStatus.DEAD: lambda: submitted().start(START, LEASE).kill("boom", START),
        JobStatus.CANCELLED: lambda: submitted().cancel(START),
    }
    job = steps[status]()
    assert job.status is status
    return job


WAITING = [JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.RETRYING]
FINISHED = [JobStatus.COMPLETED, JobStatus.DEAD, JobStatus.CANCELLED]


@pytest.mark.parametrize("status", WAITING)
async def test_a_waiting_job_is_cancelled(
    cancel: CancelJob, jobs: InMemoryJobRepository, status: JobStatus
) -> None:
    job = job_in(status)
    jobs.put(job)

    cancelled = await cancel(job.id)

    assert (cancelled.status, cancelled.attempt, cancelled.updated_at) == (
        JobStatus.CANCELLED,
        job.attempt,
        ASKED_AT,
    )
    assert cancelled.last_error == (job.last_error or "cancelled before it ran")
    assert jobs.jobs[job.id] == cancelled


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.QUEUED])
async def test_the_message_of_a_cancelled_job_is_acked_and_never_run(
    cancel: CancelJob,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    status: JobStatus,
) -> None:
    job = job_in(status)
    jobs.put(job)
    (delivery,) = queue.deliver(job.id)
    cancelled = await cancel(job.id)

    claimed = await ClaimJobs(jobs, queue, clock, policy)([delivery], "worker-1")

    assert claimed == []
    assert queue.acked == [delivery.message_id]
    assert jobs.jobs[job.id] == cancelled


@pytest.mark.parametrize("status", [JobStatus.SCHEDULED, JobStatus.RETRYING])
async def test_a_cancelled_job_is_never_promoted_when_its_run_at_comes(
    cancel: CancelJob,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    status: JobStatus,
) -> None:
    job = job_in(status)
    jobs.put(job)
    await cancel(job.id)
    clock.advance(timedelta(days=1))

    assert await PromoteDueRetries(jobs, queue, clock, batch_size=10)() == 0
    assert queue.published == []
    assert jobs.jobs[job.id].status is JobStatus.CANCELLED


async def test_a_running_job_is_asked_to_cancel_and_keeps_running(
    cancel: CancelJob, jobs: InMemoryJobRepository
) -> None:
    job = job_in(JobStatus.RUNNING)
    jobs.put(job)

    asked = await cancel(job.id)

    assert (asked.status, asked.attempt, asked.lease_expires_at, asked.worker) == (
        JobStatus.RUNNING,
        1,
        job.lease_expires_at,
        "worker-1",
    )
    assert asked.cancel_requested_at == ASKED_AT
    assert jobs.jobs[job.id] == asked


async def test_a_running_job_asked_to_cancel_ends_cancelled_at_its_next_lease_renewal(
    cancel: CancelJob,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    run: RunJob,
) -> None:
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)
    (item,) = await ClaimJobs(jobs, queue, clock, policy)(queue.deliver(job.id), "worker-1")
    await cancel(job.id)

    check = await ExtendLeases(jobs, clock, policy)([item.job])
    assert check.cancel_requested == {job.id}
    await RecordOutcomes(jobs, jobs, queue, queue, clock, policy)(
        [Claimed(item.message_id, run.cancelled(item.job))]
    )

    stored = jobs.jobs[job.id]
    assert (stored.status, stored.lease_expires_at) == (JobStatus.CANCELLED, None)
    assert stored.last_error == "cancelled on request while attempt 1 ran"
    assert [(a.attempt, a.outcome) for a in await jobs.attempts(job.id)] == [(1, "cancelled")]
    assert queue.acked == [item.message_id]
    assert queue.dead_letters == []


@pytest.mark.parametrize("status", FINISHED)
async def test_a_finished_job_refuses_to_be_cancelled_and_is_left_alone(
    cancel: CancelJob, jobs: InMemoryJobRepository, events: EventLog, status: JobStatus
) -> None:
    job = job_in(status)
    jobs.put(job)

    with pytest.raises(InvalidTransition) as refused:
        await cancel(job.id)

    assert (refused.value.job_id, refused.value.current) == (job.id, status.value)
    assert jobs.jobs[job.id] == job
    assert events.entries == []


async def test_cancelling_an_unknown_job_is_not_found(cancel: CancelJob) -> None:
    missing = uuid4()

    with pytest.raises(JobNotFound) as not_found:
        await cancel(missing)

    assert not_found.value.job_id == missing


async def test_a_job_claimed_while_being_cancelled_is_asked_to_cancel_instead(
    queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    jobs = RacingJobRepository()
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)
    deliveries = queue.deliver(job.id)
    claim = ClaimJobs(jobs, queue, clock, policy)
    jobs.interleaved.append(lambda: claim(deliveries, "worker-2"))

    outcome = await CancelJob(jobs, clock, InMemoryAuditTrail())(job.id)

    assert jobs.replace_calls == 2
    assert (outcome.status, outcome.attempt, outcome.worker) == (JobStatus.RUNNING, 1, "worker-2")
    assert outcome.cancel_requested_at == clock.now()
    assert jobs.jobs[job.id] == outcome


async def test_a_job_that_finished_while_being_cancelled_refuses(
    queue: FakeChannel, clock: FixedClock
) -> None:
    jobs = RacingJobRepository()
    job = job_in(JobStatus.RUNNING)
    jobs.put(job)
    completed = job.complete("ok", START + timedelta(seconds=1))
    jobs.interleaved.append(lambda: jobs.record_outcomes([completed]))

    with pytest.raises(InvalidTransition) as refused:
        await CancelJob(jobs, clock, InMemoryAuditTrail())(job.id)

    assert refused.value.current == "completed"
    assert jobs.jobs[job.id].status is JobStatus.COMPLETED
    assert jobs.jobs[job.id].cancel_requested_at is None


async def test_a_job_that_changed_a_few_times_meanwhile_is_still_cancelled(
    clock: FixedClock,
) -> None:
    jobs = ChurningJobRepository(refusals=3)
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)

    cancelled = await CancelJob(jobs, clock, InMemoryAuditTrail())(job.id)

    assert cancelled.status is JobStatus.CANCELLED
    assert jobs.replace_calls == 4


async def test_a_job_that_never_stops_changing_is_reported_busy_and_left_alone(
    clock: FixedClock,
) -> None:
    jobs = ChurningJobRepository(refusals=1_000)
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)

    with pytest.raises(JobBusy) as busy:
        await CancelJob(jobs, clock, InMemoryAuditTrail())(job.id)

    assert busy.value.job_id == job.id
    assert 1 < jobs.replace_calls < 1_000
    assert jobs.jobs[job.id] == job
