"""What the use cases report to the JobEvents port, and what the backlog measure says."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from taskforge_app.cancel_job import CancelJob
from taskforge_app.claim_jobs import Claimed
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.measure_backlog import MeasureBacklog
from taskforge_app.ports import QueueUnavailable, StoreUnavailable
from taskforge_app.ports.backlog import WaitingJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.submit_jobs import NewJob, SubmitDefaults, SubmitJobs
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, FakeQueue, FixedClock, InMemoryJobRepository

LEASE = timedelta(seconds=30)
FINISHED_AT = START + timedelta(seconds=2)


class RecordingJobEvents:
    def __init__(self) -> None:
        self.submitted_jobs: list[Job] = []
        self.handled_types: list[str] = []
        self.finished_jobs: list[Job] = []
        self.fenced_jobs: list[Job] = []

    def submitted(self, jobs: Sequence[Job]) -> None:
        self.submitted_jobs.extend(jobs)

    def handled(self, job_type: str, seconds: float) -> None:
        assert seconds >= 0
        self.handled_types.append(job_type)

    def finished(self, jobs: Sequence[Job]) -> None:
        self.finished_jobs.extend(jobs)

    def fenced(self, jobs: Sequence[Job]) -> None:
        self.fenced_jobs.extend(jobs)

    @property
    def outcomes(self) -> list[tuple[str, JobStatus]]:
        return [(job.job_type, job.status) for job in self.finished_jobs]


@pytest.fixture
def recorded() -> RecordingJobEvents:
    return RecordingJobEvents()


def running(jobs: InMemoryJobRepository, job_type: str = "ping", max_attempts: int = 3) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type=job_type, payload={}, max_attempts=max_attempts, now=START
    )
    job = job.enqueue(START).start(START, LEASE, worker="worker-1")
    jobs.put(job)
    return job


async def test_only_jobs_stored_as_new_count_as_submitted(
    jobs: InMemoryJobRepository,
    queue: FakeQueue,
    clock: FixedClock,
    recorded: RecordingJobEvents,
) -> None:
    submit = SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=3), recorded)

    await submit([NewJob("ping", {}, idempotency_key="k-1"), NewJob("resize", {})])
    await submit([NewJob("ping", {}, idempotency_key="k-1")])

    assert [job.job_type for job in recorded.submitted_jobs] == ["ping", "resize"]


async def test_every_handler_run_is_timed_under_its_job_type_whatever_its_outcome(
    registry: HandlerRegistry,
    clock: FixedClock,
    policy: ExecutionPolicy,
    jobs: InMemoryJobRepository,
    recorded: RecordingJobEvents,
) -> None:
    run = RunJob(registry, clock, policy, recorded)

    await run(running(jobs, "ping"))
    await run(running(jobs, "fail"))
    await run(running(jobs, "dead"))
    await run(running(jobs, "no_such_type"))

    assert recorded.handled_types == ["ping", "fail", "dead"]


async def test_written_outcomes_count_as_finished_and_refused_ones_as_fenced(
    jobs: InMemoryJobRepository,
    queue: FakeQueue,
    clock: FixedClock,
    recorded: RecordingJobEvents,
) -> None:
    record = RecordOutcomes(jobs, queue, clock, recorded)
    done, doomed, stale = running(jobs), running(jobs, "dead"), running(jobs)
    jobs.put(stale.complete("someone else", START))

    await record(
        [
            Claimed("1-0", done.complete("ok", FINISHED_AT)),
            Claimed("2-0", doomed.kill("boom", FINISHED_AT)),
            Claimed("3-0", stale.kill("boom", FINISHED_AT)),
        ]
    )

    assert recorded.outcomes == [("ping", JobStatus.COMPLETED), ("dead", JobStatus.DEAD)]
    assert [job.id for job in recorded.fenced_jobs] == [stale.id]
    assert record.fenced_total == 1


async def test_reaped_attempts_count_as_finished(
    jobs: InMemoryJobRepository,
    queue: FakeQueue,
    clock: FixedClock,
    policy: ExecutionPolicy,
    recorded: RecordingJobEvents,
) -> None:
    reap = ReapExpiredAttempts(jobs, queue, clock, policy, recorded)
    running(jobs, max_attempts=2)
    running(jobs, max_attempts=1)
    clock.advance(LEASE + timedelta(seconds=1))

    await reap()

    assert sorted(status.value for _, status in recorded.outcomes) == ["dead", "retrying"]


async def test_cancelling_a_waiting_job_finishes_it_and_asking_a_running_one_does_not(
    jobs: InMemoryJobRepository, clock: FixedClock, recorded: RecordingJobEvents
) -> None:
    cancel = CancelJob(jobs, clock, recorded)
    waiting = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START)
    jobs.put(waiting)

    await cancel(waiting.id)
    await cancel(running(jobs).id)

    assert recorded.outcomes == [("ping", JobStatus.CANCELLED)]


class FakeStoreBacklog:
    def __init__(self, waiting: WaitingJobs | None) -> None:
        self._waiting = waiting

    async def waiting_jobs(self) -> WaitingJobs:
        if self._waiting is None:
            raise StoreUnavailable("down")
        return self._waiting


class FakeStreamBacklog:
    stream = "taskforge:queue:normal"

    def __init__(self, pending: int | None) -> None:
        self._pending = pending

    async def pending_entries(self) -> int:
        if self._pending is None:
            raise QueueUnavailable("down")
        return self._pending


@pytest.mark.parametrize(
    ("oldest_run_at", "age"),
    [(START - timedelta(seconds=90), 90.0), (START + timedelta(seconds=5), 0.0), (None, 0.0)],
    ids=["ready-since-90s", "due-in-the-future", "nothing-waits"],
)
async def test_the_backlog_is_the_waiting_count_the_oldest_ready_age_and_the_pending_entries(
    clock: FixedClock, oldest_run_at: datetime | None, age: float
) -> None:
    count = 0 if oldest_run_at is None else 7
    measure = MeasureBacklog(
        FakeStoreBacklog(WaitingJobs(count, oldest_run_at)), FakeStreamBacklog(3), clock
    )

    backlog = await measure()

    assert (backlog.queue, backlog.stream) == ("normal", "taskforge:queue:normal")
    assert (backlog.depth, backlog.oldest_ready_age_seconds) == (count, age)
    assert backlog.stream_pending_entries == 3


async def test_a_source_that_does_not_answer_leaves_only_its_part_of_the_backlog_out(
    clock: FixedClock,
) -> None:
    store_down = MeasureBacklog(FakeStoreBacklog(None), FakeStreamBacklog(3), clock)
    redis_down = MeasureBacklog(
        FakeStoreBacklog(WaitingJobs(2, START)), FakeStreamBacklog(None), clock
    )

    without_store, without_redis = await store_down(), await redis_down()

    assert (without_store.depth, without_store.oldest_ready_age_seconds) == (None, None)
    assert without_store.stream_pending_entries == 3
    assert (without_redis.depth, without_redis.stream_pending_entries) == (2, None)
