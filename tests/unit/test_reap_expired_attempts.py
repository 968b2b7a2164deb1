from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, EventLog, FakeChannel, FixedClock, InMemoryJobRepository

LEASE = timedelta(seconds=30)


@pytest.fixture
def reap(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> ReapExpiredAttempts:
    return ReapExpiredAttempts(jobs, jobs, queue, clock, policy)


def running(jobs: InMemoryJobRepository, max_attempts: int = 3) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type="ping", payload={}, max_attempts=max_attempts, now=START
    )
    job = job.enqueue(START).start(START, LEASE, worker="worker-1")
    jobs.put(job)
    return job


async def test_an_attempt_whose_lease_ran_out_is_lost_and_retried_at_once(
    reap: ReapExpiredAttempts, jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    job = running(jobs)
    clock.advance(LEASE + timedelta(seconds=1))

    recovered = await reap()

    assert recovered == 1
    stored = jobs.jobs[job.id]
    assert (stored.status, stored.attempt, stored.lease_expires_at) == (
        JobStatus.RETRYING,
        1,
        None,
    )
    # Not the handler's failure: no backoff before the next attempt.
    assert stored.run_at == clock.now()
    assert stored.last_error is not None
    assert "lost" in stored.last_error


async def test_a_lost_attempt_joins_the_history_as_failed_by_its_worker(
    reap: ReapExpiredAttempts, jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    job = running(jobs)
    clock.advance(LEASE + timedelta(seconds=1))

    await reap()

    (attempt,) = await jobs.attempts(job.id)
    assert (attempt.attempt, attempt.worker, attempt.outcome) == (1, "worker-1", "retrying")
    assert (attempt.started_at, attempt.finished_at) == (START, clock.now())
    assert attempt.error is not None
    assert "lost" in attempt.error


async def test_a_lost_last_attempt_is_dead_written_before_its_dead_letter(
    reap: ReapExpiredAttempts,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    events: EventLog,
) -> None:
    job = running(jobs, max_attempts=1)
    clock.advance(LEASE + timedelta(seconds=1))

    await reap()

    assert jobs.jobs[job.id].status is JobStatus.DEAD
    assert [letter.job_id for letter in queue.dead_letters] == [job.id]
    assert events.names == [
        "store.record_outcomes",
        "queue.publish_dead",
        "store.mark_dead_lettered",
    ]


async def test_an_attempt_within_its_lease_is_left_running(
    reap: ReapExpiredAttempts, jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    job = running(jobs)
    clock.advance(LEASE)

    assert await reap() == 0
    assert jobs.jobs[job.id] == job


class RenewedWhileReaping(InMemoryJobRepository):
    """A store where the worker renews every lease right after the reaper looked."""

    async def find_expired_leases(self, now: datetime, limit: int) -> list[Job]:
        expired = await super().find_expired_leases(now, limit)
        await self.extend_leases([(job.id, job.attempt) for job in expired], now, LEASE)
        return expired


async def test_a_lease_renewed_after_the_reaper_looked_keeps_its_attempt(
    queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    jobs = RenewedWhileReaping()
    job = running(jobs)
    clock.advance(LEASE + timedelta(seconds=1))

    recovered = await ReapExpiredAttempts(jobs, jobs, queue, clock, policy)()

    assert recovered == 0
    assert jobs.jobs[job.id].status is JobStatus.RUNNING
    assert jobs.jobs[job.id].lease_expires_at == clock.now() + LEASE
