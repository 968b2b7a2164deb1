from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.extend_leases import ExtendLeases, LeaseCheck
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, EventLog, FixedClock, InMemoryJobRepository

LEASE = timedelta(seconds=30)


@pytest.fixture
def extend(jobs: InMemoryJobRepository, clock: FixedClock, policy: ExecutionPolicy) -> ExtendLeases:
    return ExtendLeases(jobs, clock, policy)


def running(jobs: InMemoryJobRepository) -> Job:
    job = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START)
    job = job.enqueue(START).start(START, LEASE)
    jobs.put(job)
    return job


async def test_a_held_attempt_gets_a_fresh_lease(
    extend: ExtendLeases, jobs: InMemoryJobRepository, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    job = running(jobs)
    clock.advance(timedelta(seconds=10))

    check = await extend([job])

    assert check == LeaseCheck(lost=set(), cancel_requested=set())
    assert jobs.jobs[job.id].lease_expires_at == clock.now() + policy.lease


async def test_attempts_that_moved_on_or_finished_are_reported_lost_and_left_alone(
    extend: ExtendLeases,
    jobs: InMemoryJobRepository,
    clock: FixedClock,
    backoff: FullJitterBackoff,
) -> None:
    held, moved_on, finished = running(jobs), running(jobs), running(jobs)
    second_attempt = moved_on.fail("reaped", START, backoff).enqueue(START).start(START, LEASE)
    completed = finished.complete("done", START)
    jobs.put(second_attempt, completed)
    clock.advance(timedelta(seconds=10))

    check = await extend([held, moved_on, finished])

    assert check.lost == {moved_on.id, finished.id}
    assert check.cancel_requested == set()
    assert jobs.jobs[moved_on.id] == second_attempt
    assert jobs.jobs[finished.id] == completed


async def test_a_held_attempt_an_operator_asked_to_cancel_is_reported_and_renewed(
    extend: ExtendLeases, jobs: InMemoryJobRepository, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    asked, untouched = running(jobs), running(jobs)
    jobs.put(asked.request_cancel(START + timedelta(seconds=5)))
    clock.advance(timedelta(seconds=10))

    check = await extend([asked, untouched])

    assert check == LeaseCheck(lost=set(), cancel_requested={asked.id})
    assert jobs.jobs[asked.id].lease_expires_at == clock.now() + policy.lease
    assert jobs.jobs[asked.id].status is JobStatus.RUNNING


async def test_a_cancel_asked_of_an_attempt_no_longer_held_is_not_reported(
    extend: ExtendLeases, jobs: InMemoryJobRepository, backoff: FullJitterBackoff
) -> None:
    job = running(jobs)
    next_attempt = job.fail("reaped", START, backoff).enqueue(START).start(START, LEASE)
    jobs.put(next_attempt.request_cancel(START))

    check = await extend([job])

    assert check == LeaseCheck(lost={job.id}, cancel_requested=set())


async def test_releasing_expires_the_leases_now(
    extend: ExtendLeases, jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    job = running(jobs)
    clock.advance(timedelta(seconds=10))

    await extend.release([job])

    assert jobs.jobs[job.id].lease_expires_at == clock.now()


async def test_nothing_running_asks_the_store_nothing(
    extend: ExtendLeases, events: EventLog
) -> None:
    assert await extend([]) == LeaseCheck(lost=set(), cancel_requested=set())
    await extend.release([])

    assert events.entries == []
