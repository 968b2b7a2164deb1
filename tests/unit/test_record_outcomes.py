from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.claim_jobs import Claimed
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.list_jobs import GetAttempts
from taskforge_app.ports import Attempt, DeadLetter
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    EventLog,
    FakeChannel,
    FixedClock,
    InMemoryJobRepository,
    RecordingJobEvents,
)

LEASE = timedelta(seconds=35)
FINISHED_AT = START + timedelta(seconds=3)
WORKER = "worker-1"


@pytest.fixture
def record(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    recorded: RecordingJobEvents,
) -> RecordOutcomes:
    return RecordOutcomes(jobs, jobs, queue, queue, clock, policy, recorded)


def running(jobs: InMemoryJobRepository, max_attempts: int = 3) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type="dead", payload={}, max_attempts=max_attempts, now=START
    )
    job = job.enqueue(START).start(START, LEASE, worker=WORKER)
    jobs.put(job)
    return job


async def test_dead_job_is_written_before_its_dead_letter_is_published_then_acked(
    record: RecordOutcomes, jobs: InMemoryJobRepository, events: EventLog, clock: FixedClock
) -> None:
    job = running(jobs)
    dead = job.kill("TerminalError: cannot succeed", FINISHED_AT)

    await record([Claimed("7-0", dead)])

    assert events.entries == [
        ("store.record_outcomes", (job.id,)),
        ("queue.publish_dead", (job.id,)),
        ("store.mark_dead_lettered", (job.id,)),
        ("queue.ack", ("7-0",)),
    ]
    assert jobs.jobs[job.id].status is JobStatus.DEAD
    assert jobs.dead_lettered == {job.id: clock.now()}


async def test_the_dead_letter_carries_the_spec_fields(
    record: RecordOutcomes, jobs: InMemoryJobRepository, queue: FakeChannel
) -> None:
    job = running(jobs)

    await record([Claimed("7-0", job.kill("TerminalError: cannot succeed", FINISHED_AT))])

    assert queue.dead_letters == [
        DeadLetter(
            job_id=job.id,
            job_type="dead",
            attempt=1,
            last_error="TerminalError: cannot succeed",
            dead_at=FINISHED_AT,
        )
    ]


async def test_a_completed_attempt_is_written_and_acked_without_a_dead_letter(
    record: RecordOutcomes, jobs: InMemoryJobRepository, queue: FakeChannel, events: EventLog
) -> None:
    job = running(jobs)

    await record([Claimed("7-0", job.complete({"message": "pong"}, FINISHED_AT))])

    stored = jobs.jobs[job.id]
    assert (stored.status, stored.result, stored.lease_expires_at) == (
        JobStatus.COMPLETED,
        {"message": "pong"},
        None,
    )
    assert stored.updated_at == FINISHED_AT
    assert queue.dead_letters == []
    assert events.names == ["store.record_outcomes", "queue.ack"]


async def test_a_retrying_attempt_is_written_with_its_next_run_time(
    record: RecordOutcomes, jobs: InMemoryJobRepository, backoff: FullJitterBackoff
) -> None:
    job = running(jobs)
    retrying = job.fail("RetryableError: later", FINISHED_AT, backoff)

    await record([Claimed("7-0", retrying)])

    stored = jobs.jobs[job.id]
    assert (stored.status, stored.run_at, stored.last_error) == (
        JobStatus.RETRYING,
        retrying.run_at,
        "RetryableError: later",
    )


async def test_an_outcome_of_an_attempt_that_moved_on_is_fenced(
    record: RecordOutcomes,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    events: EventLog,
    backoff: FullJitterBackoff,
    recorded: RecordingJobEvents,
) -> None:
    first_attempt = running(jobs)
    reaped = first_attempt.fail("lease expired", START, backoff)
    second_attempt = reaped.enqueue(START).start(START, LEASE)
    jobs.put(second_attempt)

    await record([Claimed("7-0", first_attempt.kill("too late", FINISHED_AT))])

    assert jobs.jobs[first_attempt.id] == second_attempt
    assert queue.dead_letters == []
    assert queue.acked == ["7-0"]
    assert len(recorded.fenced_jobs) == 1
    assert events.names == ["store.record_outcomes", "queue.ack"]


async def test_an_outcome_for_a_job_already_finished_is_fenced(
    record: RecordOutcomes,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    recorded: RecordingJobEvents,
) -> None:
    job = running(jobs)
    completed = job.complete("first", START)
    jobs.put(completed)

    await record([Claimed("7-0", job.kill("late", FINISHED_AT))])

    assert jobs.jobs[job.id] == completed
    assert queue.dead_letters == []
    assert queue.acked == ["7-0"]
    assert len(recorded.fenced_jobs) == 1


async def test_a_batch_writes_the_current_attempts_and_counts_only_the_fenced(
    record: RecordOutcomes,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    recorded: RecordingJobEvents,
) -> None:
    done, doomed, stale = running(jobs), running(jobs), running(jobs)
    jobs.put(stale.complete("someone else", START))

    await record(
        [
            Claimed("1-0", done.complete("ok", FINISHED_AT)),
            Claimed("2-0", doomed.kill("boom", FINISHED_AT)),
            Claimed("3-0", stale.kill("boom", FINISHED_AT)),
        ]
    )

    assert [letter.job_id for letter in queue.dead_letters] == [doomed.id]
    assert queue.acked == ["1-0", "2-0", "3-0"]
    assert len(recorded.fenced_jobs) == 1

    await record([Claimed("4-0", stale.kill("again", FINISHED_AT))])

    assert len(recorded.fenced_jobs) == 2


async def test_nothing_finished_writes_nothing(
    record: RecordOutcomes, events: EventLog, recorded: RecordingJobEvents
) -> None:
    await record([])

    assert events.entries == []
    assert len(recorded.fenced_jobs) == 0


async def test_each_written_attempt_joins_the_job_history(
    record: RecordOutcomes, jobs: InMemoryJobRepository
) -> None:
    job = running(jobs)

    await record([Claimed("7-0", job.kill("TerminalError: cannot succeed", FINISHED_AT))])

    assert await jobs.attempts(job.id) == [
        Attempt(
            attempt=1,
            worker=WORKER,
            started_at=START,
            finished_at=FINISHED_AT,
            outcome="dead",
            error="TerminalError: cannot succeed",
        )
    ]


async def test_the_history_keeps_every_attempt_first_to_last(
    record: RecordOutcomes, jobs: InMemoryJobRepository, backoff: FullJitterBackoff
) -> None:
    first = running(jobs)
    await record([Claimed("1-0", first.fail("RetryableError: later", FINISHED_AT, backoff))])
    second_start = FINISHED_AT + timedelta(minutes=1)
    second = jobs.jobs[first.id].enqueue(second_start).start(second_start, LEASE, worker="w-2")
    jobs.put(second)

    await record([Claimed("2-0", second.complete("ok", second_start + timedelta(seconds=1)))])

    history = await GetAttempts(jobs)(first.id)
    assert [(a.attempt, a.worker, a.started_at, a.outcome, a.error) for a in history] == [
        (1, WORKER, START, "retrying", "RetryableError: later"),
        (2, "w-2", second_start, "completed", None),
    ]
    # The completed attempt is the job's own row; the history stores the failed one only.
    assert [a.attempt for a in await jobs.attempts(first.id)] == [1]


async def test_a_fenced_outcome_leaves_no_trace_in_the_history(
    record: RecordOutcomes, jobs: InMemoryJobRepository
) -> None:
    job = running(jobs)
    jobs.put(job.complete("first", START))

    await record([Claimed("7-0", job.kill("late", FINISHED_AT))])

    assert await jobs.attempts(job.id) == []


async def test_a_retry_decided_before_a_cancel_request_is_decided_again_and_ends_cancelled(
    record: RecordOutcomes,
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    backoff: FullJitterBackoff,
    recorded: RecordingJobEvents,
) -> None:
    job = running(jobs)
    retry = job.fail("RetryableError: later", FINISHED_AT, backoff)
    # The operator's cancel lands after the worker decided the retry, before its write.
    jobs.put(jobs.jobs[job.id].request_cancel(FINISHED_AT))

    await record([Claimed("5-0", retry)])

    assert jobs.jobs[job.id].status is JobStatus.CANCELLED
    assert jobs.jobs[job.id].last_error == "RetryableError: later"
    assert [j.status for j in recorded.finished_jobs] == [JobStatus.CANCELLED]
    assert recorded.fenced_jobs == []
    assert [a.outcome for a in await jobs.attempts(job.id)] == ["cancelled"]
    assert queue.acked == ["5-0"]


async def test_a_completion_decided_before_a_cancel_request_still_completes(
    record: RecordOutcomes, jobs: InMemoryJobRepository, recorded: RecordingJobEvents
) -> None:
    job = running(jobs)
    done = job.complete({"ok": True}, FINISHED_AT)
    jobs.put(jobs.jobs[job.id].request_cancel(FINISHED_AT))

    await record([Claimed("6-0", done)])

    assert jobs.jobs[job.id].status is JobStatus.COMPLETED
    assert jobs.jobs[job.id].result == {"ok": True}
    assert [j.status for j in recorded.finished_jobs] == [JobStatus.COMPLETED]
