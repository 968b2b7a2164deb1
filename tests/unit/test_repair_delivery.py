from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.repair_delivery import RepairDelivery, RepairPolicy
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, FakeChannel, FixedClock, InMemoryJobRepository

GRACE = timedelta(seconds=30)
LEASE = timedelta(seconds=30)


@pytest.fixture
def repair(jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock) -> RepairDelivery:
    return RepairDelivery(jobs, queue, queue, jobs, queue, clock, RepairPolicy(GRACE))


def pending(jobs: InMemoryJobRepository) -> Job:
    job = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START)
    jobs.put(job)
    return job


def queued(jobs: InMemoryJobRepository) -> Job:
    job = pending(jobs).enqueue(START)
    jobs.put(job)
    return job


def dead(jobs: InMemoryJobRepository) -> Job:
    job = pending(jobs).start(START, LEASE).kill("TerminalError: no", START)
    jobs.put(job)
    return job


async def test_a_pending_job_no_stream_holds_is_published_and_marked_queued(
    repair: RepairDelivery, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    job = pending(jobs)
    clock.advance(GRACE + timedelta(seconds=1))

    repaired = await repair()

    assert repaired == 1
    assert queue.published_ids == [job.id]
    assert jobs.jobs[job.id].status is JobStatus.QUEUED


async def test_a_queued_job_whose_message_redis_lost_is_published_again(
    repair: RepairDelivery, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    job = queued(jobs)
    queue.deliver(job.id)
    queue.lose_everything()
    clock.advance(GRACE + timedelta(seconds=1))

    await repair()

    assert queue.published_ids == [job.id]
    assert jobs.jobs[job.id].status is JobStatus.QUEUED


@pytest.mark.parametrize("received", [False, True], ids=["waiting", "delivered-unacked"])
async def test_a_waiting_job_whose_message_is_on_the_stream_is_not_published_again(
    repair: RepairDelivery,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    received: bool,
) -> None:
    job = queued(jobs)
    queue.deliver(job.id)
    if received:
        await queue.receive("worker-1", ["normal"], 10, 0)
    clock.advance(GRACE + timedelta(seconds=1))

    assert await repair() == 0
    assert queue.published == []


async def test_a_job_younger_than_the_grace_is_left_to_the_normal_flow(
    repair: RepairDelivery, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    pending(jobs)
    clock.advance(GRACE)

    assert await repair() == 0
    assert queue.published == []


async def test_a_dead_job_whose_letter_was_never_recorded_gets_one_once(
    repair: RepairDelivery, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    job = dead(jobs)
    clock.advance(GRACE + timedelta(seconds=1))

    first = await repair()
    second = await repair()

    assert (first, second) == (1, 0)
    assert [letter.job_id for letter in queue.dead_letters] == [job.id]
    assert job.id in jobs.dead_lettered
