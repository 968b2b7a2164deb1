import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from taskforge_app.ports import StoreUnavailable, UnstorablePayload
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.submit_job import SubmitJob
from taskforge_app.submit_jobs import NewJob, SubmitDefaults, SubmitJobs, Submitted
from taskforge_domain.errors import IdempotencyKeyReused
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, EventLog, FakeChannel, FixedClock, InMemoryJobRepository


@pytest.fixture
def submit(jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock) -> SubmitJob:
    return SubmitJob(SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=5)))


async def test_a_new_job_is_stored_published_and_queued(
    submit: SubmitJob, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    submitted = await submit(NewJob("ping", {"message": "hello"}))

    assert submitted.created
    assert submitted.job.status is JobStatus.QUEUED
    assert jobs.jobs[submitted.job.id].status is JobStatus.QUEUED
    assert queue.published_ids == [submitted.job.id]


async def test_the_job_is_stored_then_published_then_marked_queued(
    submit: SubmitJob, events: EventLog
) -> None:
    submitted = await submit(NewJob("ping", {}))

    job_id = submitted.job.id
    assert events.entries == [
        ("store.insert", (job_id,)),
        ("queue.publish", (job_id,)),
        ("store.mark_queued", (job_id,)),
    ]


async def test_a_new_job_gets_the_default_max_attempts_and_no_attempt_yet(
    submit: SubmitJob, clock: FixedClock
) -> None:
    submitted = await submit(NewJob("ping", {}))

    assert (submitted.job.attempt, submitted.job.max_attempts) == (0, 5)
    assert submitted.job.created_at == submitted.job.run_at == clock.now() == START


async def test_a_requested_max_attempts_wins_over_the_default(submit: SubmitJob) -> None:
    submitted = await submit(NewJob("ping", {}, max_attempts=2))

    assert submitted.job.max_attempts == 2


async def test_the_same_key_and_request_returns_the_first_job_and_publishes_nothing_again(
    submit: SubmitJob, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    first = await submit(NewJob("ping", {"message": "hello"}, idempotency_key="k-1"))

    again = await submit(NewJob("ping", {"message": "hello"}, idempotency_key="k-1"))

    assert not again.created
    assert again.job.id == first.job.id
    assert again.job.status is JobStatus.QUEUED
    assert len(jobs.jobs) == 1
    assert queue.published_ids == [first.job.id]


@pytest.mark.parametrize(
    ("job_type", "payload"), [("ping", {"message": "other"}), ("fail", {"message": "hello"})]
)
async def test_the_same_key_with_another_request_is_refused_and_makes_no_second_job(
    submit: SubmitJob,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    job_type: str,
    payload: dict[str, object],
) -> None:
    first = await submit(NewJob("ping", {"message": "hello"}, idempotency_key="k-1"))

    with pytest.raises(IdempotencyKeyReused) as refused:
        await submit(NewJob(job_type, payload, idempotency_key="k-1"))

    assert (refused.value.key, refused.value.job_id) == ("k-1", first.job.id)
    assert list(jobs.jobs) == [first.job.id]
    assert queue.published_ids == [first.job.id]


async def test_a_resubmission_with_true_where_the_first_had_one_is_another_request(
    submit: SubmitJob, jobs: InMemoryJobRepository
) -> None:
    await submit(NewJob("ping", {"fail": 1}, idempotency_key="k-1"))

    with pytest.raises(IdempotencyKeyReused):
        await submit(NewJob("ping", {"fail": True}, idempotency_key="k-1"))


async def test_the_same_key_with_other_max_attempts_is_refused(
    submit: SubmitJob, jobs: InMemoryJobRepository
) -> None:
    await submit(NewJob("ping", {}, idempotency_key="k-1", max_attempts=2))

    with pytest.raises(IdempotencyKeyReused):
        await submit(NewJob("ping", {}, idempotency_key="k-1", max_attempts=3))

    assert len(jobs.jobs) == 1


async def test_without_a_key_two_identical_requests_are_two_jobs(
    submit: SubmitJob, jobs: InMemoryJobRepository
) -> None:
    first = await submit(NewJob("ping", {"message": "hello"}))
    second = await submit(NewJob("ping", {"message": "hello"}))

    assert second.created
    assert first.job.id != second.job.id
    assert len(jobs.jobs) == 2


async def test_when_the_queue_is_down_the_job_is_accepted_and_stays_pending(
    submit: SubmitJob, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    queue.unavailable = True

    submitted = await submit(NewJob("ping", {"message": "hello"}))

    assert submitted.created
    assert submitted.job.status is JobStatus.PENDING
    assert jobs.jobs[submitted.job.id].status is JobStatus.PENDING
    assert queue.published == []


class StoreLostAfterInsert(InMemoryJobRepository):
    """A store that commits the insert, then stops answering."""

    async def mark_queued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        raise StoreUnavailable("connection reset")


async def test_a_store_outage_after_the_insert_committed_still_accepts_the_job(
    queue: FakeChannel, clock: FixedClock
) -> None:
    jobs = StoreLostAfterInsert()
    submit = SubmitJob(SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=5)))

    submitted = await submit(NewJob("ping", {"message": "hello"}))

    assert submitted.created
    assert list(jobs.jobs) == [submitted.job.id]
    assert queue.published_ids == [submitted.job.id]


async def test_a_resubmission_after_the_queue_came_back_returns_the_pending_job_unpublished(
    submit: SubmitJob, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    queue.unavailable = True
    first = await submit(NewJob("ping", {}, idempotency_key="k-1"))
    queue.unavailable = False

    again = await submit(NewJob("ping", {}, idempotency_key="k-1"))

    assert (again.created, again.job.id, again.job.status) == (
        False,
        first.job.id,
        JobStatus.PENDING,
    )
    assert queue.published == []


async def test_submissions_arriving_together_share_one_write(
    submit: SubmitJob, events: EventLog
) -> None:
    submitted = await asyncio.gather(*(submit(NewJob("ping", {"i": i})) for i in range(10)))

    assert all(answer.created for answer in submitted)
    assert events.names == ["store.insert"] * 10 + ["queue.publish", "store.mark_queued"]
    [published] = [ids for name, ids in events.entries if name == "queue.publish"]
    assert set(published) == {answer.job.id for answer in submitted}


async def test_a_payload_the_store_refuses_fails_only_its_own_submission(
    submit: SubmitJob, jobs: InMemoryJobRepository
) -> None:
    good, bad = NewJob("ping", {"ok": 1}), NewJob("ping", {"text": "nul \x00"})

    answers = await asyncio.gather(submit(good), submit(bad), return_exceptions=True)

    assert isinstance(answers[0], Submitted)
    assert isinstance(answers[1], UnstorablePayload)
    assert [job.payload for job in jobs.jobs.values()] == [{"ok": 1}]


@pytest.mark.parametrize(
    "request_",
    [
        NewJob("ping", {}, run_at=START + timedelta(minutes=10)),
        NewJob("ping", {}, delay=timedelta(minutes=10)),
    ],
    ids=["run_at", "delay"],
)
async def test_a_job_for_later_is_stored_scheduled_and_not_published(
    submit: SubmitJob,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    events: EventLog,
    request_: NewJob,
) -> None:
    submitted = await submit(request_)

    assert submitted.created
    assert (submitted.job.status, submitted.job.run_at) == (
        JobStatus.SCHEDULED,
        START + timedelta(minutes=10),
    )
    assert jobs.jobs[submitted.job.id].status is JobStatus.SCHEDULED
    assert queue.published == []
    assert events.names == ["store.insert"]


@pytest.mark.parametrize(
    "request_",
    [
        NewJob("ping", {}, run_at=START - timedelta(minutes=10)),
        NewJob("ping", {}, run_at=START),
        NewJob("ping", {}, delay=timedelta(0)),
        NewJob("ping", {}, delay=timedelta(seconds=-5)),
    ],
    ids=["past-run_at", "run_at-now", "no-delay", "negative-delay"],
)
async def test_a_job_whose_run_at_has_come_is_published_and_queued_as_usual(
    submit: SubmitJob, jobs: InMemoryJobRepository, queue: FakeChannel, request_: NewJob
) -> None:
    submitted = await submit(request_)

    assert (submitted.job.status, submitted.job.run_at) == (JobStatus.QUEUED, START)
    assert queue.published_ids == [submitted.job.id]


async def test_a_scheduled_job_is_published_by_the_scheduler_once_due(
    submit: SubmitJob, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    submitted = await submit(NewJob("ping", {}, delay=timedelta(minutes=10)))
    promote = PromoteDueRetries(jobs, queue, clock, batch_size=10)
    assert await promote() == 0

    clock.advance(timedelta(minutes=10))

    assert await promote() == 1
    assert queue.published_ids == [submitted.job.id]
    assert jobs.jobs[submitted.job.id].status is JobStatus.QUEUED


async def test_in_a_batch_only_the_jobs_due_now_are_published(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    submit_jobs = SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=5))

    now, later = await submit_jobs(
        [NewJob("ping", {"i": 1}), NewJob("ping", {"i": 2}, delay=timedelta(hours=1))]
    )

    assert isinstance(now, Submitted)
    assert isinstance(later, Submitted)
    assert (now.job.status, later.job.status) == (JobStatus.QUEUED, JobStatus.SCHEDULED)
    assert queue.published_ids == [now.job.id]
    assert jobs.jobs[later.job.id].status is JobStatus.SCHEDULED


async def test_a_resubmitted_scheduled_job_is_returned_still_scheduled_and_unpublished(
    submit: SubmitJob, queue: FakeChannel
) -> None:
    first = await submit(NewJob("ping", {}, idempotency_key="k-1", delay=timedelta(hours=1)))

    again = await submit(NewJob("ping", {}, idempotency_key="k-1", delay=timedelta(hours=1)))

    assert (again.created, again.job.id, again.job.status) == (
        False,
        first.job.id,
        JobStatus.SCHEDULED,
    )
    assert queue.published == []


async def test_scheduled_and_immediate_submissions_arriving_together_share_one_write(
    submit: SubmitJob, events: EventLog
) -> None:
    answers = await asyncio.gather(
        *(
            submit(NewJob("ping", {"i": i}, delay=timedelta(minutes=1) if i % 2 else None))
            for i in range(6)
        )
    )

    assert [answer.job.status for answer in answers] == [
        JobStatus.QUEUED,
        JobStatus.SCHEDULED,
    ] * 3
    assert events.names == ["store.insert"] * 6 + ["queue.publish", "store.mark_queued"]
    [published] = [ids for name, ids in events.entries if name == "queue.publish"]
    assert set(published) == {answers[i].job.id for i in (0, 2, 4)}
