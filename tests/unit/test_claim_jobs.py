import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import Delivery
from taskforge_app.ports.job_type_limits import LimitedClaim
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import CLAIMABLE_STATUSES, JobStatus
from taskforge_domain.job_type_limit import HOLD_BACK
from tests.unit.fakes import (
    START,
    EventLog,
    FakeChannel,
    FixedClock,
    InMemoryJobRepository,
    draw_highest,
)

LEASE = timedelta(seconds=35)
WORKER = "worker-1"
BACKOFF = FullJitterBackoff(timedelta(seconds=1), timedelta(minutes=1), draw_highest)


@pytest.fixture
def claim(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> ClaimJobs:
    return ClaimJobs(jobs, queue, clock, policy)


def pending_job() -> Job:
    return Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START)


def job_in(status: JobStatus) -> Job:
    steps: dict[JobStatus, Callable[[Job], Job]] = {
        JobStatus.PENDING: lambda job: job,
        JobStatus.SCHEDULED: lambda job: Job.submit(
            job_id=job.id,
            job_type=job.job_type,
            payload=job.payload,
            max_attempts=job.max_attempts,
            now=START,
            run_at=START + timedelta(hours=1),
        ),
        JobStatus.QUEUED: lambda job: job.enqueue(START),
        JobStatus.RUNNING: lambda job: job.enqueue(START).start(START, LEASE),
        JobStatus.COMPLETED: lambda job: job.start(START, LEASE).complete(None, START),
        JobStatus.RETRYING: lambda job: job.start(START, LEASE).fail("x", START, BACKOFF),
        JobStatus.DEAD: lambda job: job.start(START, LEASE).kill("boom", START),
        JobStatus.CANCELLED: lambda job: job.enqueue(START).cancel(START),
    }
    return steps[status](pending_job())


async def test_a_delivered_queued_job_starts_its_first_attempt_under_a_lease(
    claim: ClaimJobs,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
) -> None:
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)
    (delivery,) = queue.deliver(job.id)

    claimed = await claim([delivery], WORKER)

    assert [item.message_id for item in claimed] == [delivery.message_id]
    started = claimed[0].job
    assert (started.status, started.attempt) == (JobStatus.RUNNING, 1)
    assert started.lease_expires_at == clock.now() + policy.lease
    assert (started.started_at, started.worker) == (clock.now(), WORKER)
    assert jobs.jobs[job.id] == started
    assert queue.acked == []


async def test_a_job_still_pending_when_its_message_arrives_is_claimed(
    claim: ClaimJobs, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    job = job_in(JobStatus.PENDING)
    jobs.put(job)

    claimed = await claim(queue.deliver(job.id), WORKER)

    assert [item.job.status for item in claimed] == [JobStatus.RUNNING]


@pytest.mark.parametrize(
    "status",
    [
        JobStatus.SCHEDULED,
        JobStatus.RUNNING,
        JobStatus.RETRYING,
        JobStatus.COMPLETED,
        JobStatus.DEAD,
        JobStatus.CANCELLED,
    ],
)
async def test_a_stale_message_is_acked_and_not_run(
    claim: ClaimJobs, jobs: InMemoryJobRepository, queue: FakeChannel, status: JobStatus
) -> None:
    job = job_in(status)
    jobs.put(job)
    (delivery,) = queue.deliver(job.id)

    claimed = await claim([delivery], WORKER)

    assert claimed == []
    assert queue.acked == [delivery.message_id]
    assert jobs.jobs[job.id] == job


async def test_a_message_for_a_job_the_store_does_not_know_is_acked(
    claim: ClaimJobs, queue: FakeChannel
) -> None:
    (delivery,) = queue.deliver(uuid4())

    assert await claim([delivery], WORKER) == []
    assert queue.acked == [delivery.message_id]


async def test_a_malformed_message_is_acked_and_not_run(
    claim: ClaimJobs, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)
    good, malformed = queue.deliver(job.id, None)

    claimed = await claim([good, malformed], WORKER)

    assert [item.message_id for item in claimed] == [good.message_id]
    assert queue.acked == [malformed.message_id]


async def test_a_duplicate_message_in_one_batch_runs_the_job_once(
    claim: ClaimJobs, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)
    first, duplicate = queue.deliver(job.id, job.id)

    claimed = await claim([first, duplicate], WORKER)

    assert [(item.message_id, item.job.attempt) for item in claimed] == [(first.message_id, 1)]
    assert queue.acked == [duplicate.message_id]


async def test_two_workers_claiming_the_same_job_only_one_wins(
    claim: ClaimJobs, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)
    mine, theirs = queue.deliver(job.id, job.id)

    results = await asyncio.gather(claim([mine], "worker-1"), claim([theirs], "worker-2"))

    winners = [item for result in results for item in result]
    assert len(winners) == 1
    assert winners[0].job.attempt == jobs.jobs[job.id].attempt == 1
    assert len(queue.acked) == 1
    assert {winners[0].message_id, *queue.acked} == {mine.message_id, theirs.message_id}


async def test_a_batch_claims_each_job_it_can_and_acks_the_rest(
    claim: ClaimJobs, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    queued, pending, completed = (
        job_in(JobStatus.QUEUED),
        job_in(JobStatus.PENDING),
        job_in(JobStatus.COMPLETED),
    )
    jobs.put(queued, pending, completed)
    deliveries = queue.deliver(queued.id, completed.id, None, pending.id)

    claimed = await claim(deliveries, WORKER)

    assert [item.job.id for item in claimed] == [queued.id, pending.id]
    assert queue.acked == [deliveries[1].message_id, deliveries[2].message_id]


async def test_an_empty_read_claims_nothing_and_touches_nothing(
    claim: ClaimJobs, events: EventLog
) -> None:
    assert await claim([], WORKER) == []
    assert events.entries == []


async def test_only_malformed_messages_do_not_reach_the_store(
    claim: ClaimJobs, events: EventLog
) -> None:
    claimed = await claim([Delivery("1-0", None), Delivery("2-0", None)], WORKER)

    assert claimed == []
    assert events.entries == [("queue.ack", ("1-0", "2-0"))]


def test_a_failure_after_a_cancel_request_cancels_instead_of_retrying() -> None:
    asked = job_in(JobStatus.QUEUED).start(START, LEASE).request_cancel(START)

    outcome = asked.fail("RetryableError: later", START, BACKOFF)

    assert outcome.status is JobStatus.CANCELLED
    assert outcome.last_error == "RetryableError: later"


class RecordingLimitedClaims:
    """Starts nothing and holds back every job it is asked about, as a full limit does."""

    def __init__(self, jobs: InMemoryJobRepository) -> None:
        self._jobs = jobs
        self.asked: list[list[UUID]] = []

    async def claim_within_limits(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> LimitedClaim:
        self.asked.append(list(job_ids))
        held = [
            self._jobs.jobs[job_id].hold_back(now + HOLD_BACK, now)
            for job_id in job_ids
            if job_id in self._jobs.jobs and self._jobs.jobs[job_id].status in CLAIMABLE_STATUSES
        ]
        for job in held:
            self._jobs.put(job)
        return LimitedClaim([], held)


async def test_jobs_the_ledger_started_never_reach_the_limited_claim(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    limited = RecordingLimitedClaims(jobs)
    job = job_in(JobStatus.QUEUED)
    jobs.put(job)

    claimed = await ClaimJobs(jobs, queue, clock, policy, limited)(queue.deliver(job.id), WORKER)

    assert [item.job.id for item in claimed] == [job.id]
    assert limited.asked == []


async def test_what_the_ledger_left_goes_to_the_limited_claim_and_its_messages_are_acked(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    limited = RecordingLimitedClaims(jobs)
    free, left = job_in(JobStatus.QUEUED), job_in(JobStatus.SCHEDULED)
    jobs.put(free)
    jobs.put(left)
    deliveries = queue.deliver(free.id, left.id)

    claimed = await ClaimJobs(jobs, queue, clock, policy, limited)(deliveries, WORKER)

    assert [item.job.id for item in claimed] == [free.id]
    assert limited.asked == [[left.id]]
    assert queue.acked == [deliveries[1].message_id]
