from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, FakeChannel, FixedClock, InMemoryJobRepository

LEASE = timedelta(seconds=35)


def promoter(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, batch_size: int
) -> PromoteDueRetries:
    return PromoteDueRetries(jobs, queue, clock, batch_size)


def retrying_in(jobs: InMemoryJobRepository, delay: timedelta) -> Job:
    """A job whose first attempt failed at START and that may run again after `delay`."""
    day = timedelta(days=1)
    exact = FullJitterBackoff(day, day, lambda low, high: delay.total_seconds())
    job = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START)
    job = job.enqueue(START).start(START, LEASE).fail("boom", START, exact)
    assert job.run_at == START + delay
    jobs.put(job)
    return job


def scheduled_in(jobs: InMemoryJobRepository, delay: timedelta) -> Job:
    """A job submitted at START to run first after `delay`."""
    job = Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={},
        max_attempts=3,
        now=START,
        run_at=START + delay,
    )
    assert job.status is JobStatus.SCHEDULED
    jobs.put(job)
    return job


@pytest.fixture
def due_and_not_due(jobs: InMemoryJobRepository) -> tuple[list[Job], list[Job]]:
    due = [retrying_in(jobs, timedelta(seconds=s)) for s in (50, 10, 0, 60, 30)]
    not_due = [retrying_in(jobs, timedelta(seconds=s)) for s in (61, 3600)]
    return due, not_due


async def test_only_due_retries_are_queued_and_published(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    due_and_not_due: tuple[list[Job], list[Job]],
) -> None:
    due, not_due = due_and_not_due
    clock.advance(timedelta(seconds=60))

    promoted = await promoter(jobs, queue, clock, batch_size=10)()

    assert promoted == 5
    assert set(queue.published_ids) == {job.id for job in due}
    assert all(jobs.jobs[job.id].status is JobStatus.QUEUED for job in due)
    assert all(jobs.jobs[job.id].status is JobStatus.RETRYING for job in not_due)
    assert all(job.status is JobStatus.QUEUED for job in queue.published)


async def test_due_retries_are_promoted_in_batches_oldest_first(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    due_and_not_due: tuple[list[Job], list[Job]],
) -> None:
    due, _ = due_and_not_due
    clock.advance(timedelta(seconds=60))

    promoted = await promoter(jobs, queue, clock, batch_size=2)()

    assert promoted == 5
    by_run_at = [job.id for job in sorted(due, key=lambda job: job.run_at)]
    assert queue.publish_calls == [by_run_at[0:2], by_run_at[2:4], by_run_at[4:]]


async def test_a_batch_size_that_divides_the_due_jobs_publishes_no_empty_batch(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    for seconds in (1, 2, 3, 4):
        retrying_in(jobs, timedelta(seconds=seconds))
    clock.advance(timedelta(seconds=4))

    promoted = await promoter(jobs, queue, clock, batch_size=2)()

    assert promoted == 4
    assert [len(batch) for batch in queue.publish_calls] == [2, 2]


async def test_a_second_pass_promotes_nothing(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    due_and_not_due: tuple[list[Job], list[Job]],
) -> None:
    clock.advance(timedelta(seconds=60))
    promote = promoter(jobs, queue, clock, batch_size=2)
    await promote()
    published = list(queue.published)

    again = await promote()

    assert again == 0
    assert queue.published == published


async def test_nothing_due_publishes_nothing(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    due_and_not_due: tuple[list[Job], list[Job]],
) -> None:
    clock.advance(timedelta(seconds=-1))

    assert await promoter(jobs, queue, clock, batch_size=10)() == 0
    assert queue.publish_calls == []


async def test_a_retry_becomes_due_exactly_at_its_run_at(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    job = retrying_in(jobs, timedelta(seconds=30))
    clock.advance(timedelta(seconds=30) - timedelta.resolution)
    promote = promoter(jobs, queue, clock, batch_size=10)
    assert await promote() == 0

    clock.advance(timedelta.resolution)

    assert await promote() == 1
    assert queue.published_ids == [job.id]


async def test_a_scheduled_job_is_queued_and_published_once_its_run_at_has_come(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    job = scheduled_in(jobs, timedelta(minutes=5))
    promote = promoter(jobs, queue, clock, batch_size=10)
    clock.advance(timedelta(minutes=5) - timedelta.resolution)
    assert await promote() == 0
    assert jobs.jobs[job.id].status is JobStatus.SCHEDULED

    clock.advance(timedelta.resolution)

    assert await promote() == 1
    assert queue.published_ids == [job.id]
    assert (jobs.jobs[job.id].status, jobs.jobs[job.id].attempt) == (JobStatus.QUEUED, 0)


async def test_due_scheduled_jobs_and_retries_share_the_batches_by_run_at(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    first = scheduled_in(jobs, timedelta(seconds=10))
    second = retrying_in(jobs, timedelta(seconds=20))
    third = scheduled_in(jobs, timedelta(seconds=30))
    scheduled_in(jobs, timedelta(seconds=31))
    clock.advance(timedelta(seconds=30))

    promoted = await promoter(jobs, queue, clock, batch_size=2)()

    assert promoted == 3
    assert queue.publish_calls == [[first.id, second.id], [third.id]]
