"""What the use cases report to the JobEvents port, and what the backlog measure says."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from taskforge_app.cancel_job import CancelJob
from taskforge_app.claim_jobs import Claimed
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.measure_backlog import Backlog, MeasureBacklog
from taskforge_app.ports import ChannelUnavailable, StoreUnavailable
from taskforge_app.ports.backlog import InFlight, WaitingJobs
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.submit_jobs import NewJob, SubmitDefaults, SubmitJobs
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    FakeChannel,
    FixedClock,
    InMemoryAuditTrail,
    InMemoryJobRepository,
    RecordingJobEvents,
)

LEASE = timedelta(seconds=30)
FINISHED_AT = START + timedelta(seconds=2)


def running(jobs: InMemoryJobRepository, job_type: str = "ping", max_attempts: int = 3) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type=job_type, payload={}, max_attempts=max_attempts, now=START
    )
    job = job.enqueue(START).start(START, LEASE, worker="worker-1")
    jobs.put(job)
    return job


async def test_only_jobs_stored_as_new_count_as_submitted(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
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
    queue: FakeChannel,
    clock: FixedClock,
    recorded: RecordingJobEvents,
    policy: ExecutionPolicy,
) -> None:
    record = RecordOutcomes(jobs, jobs, queue, queue, clock, policy, recorded)
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


async def test_reaped_attempts_count_as_finished(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    recorded: RecordingJobEvents,
) -> None:
    reap = ReapExpiredAttempts(jobs, jobs, queue, clock, policy, recorded)
    running(jobs, max_attempts=2)
    running(jobs, max_attempts=1)
    clock.advance(LEASE + timedelta(seconds=1))

    await reap()

    assert sorted(status.value for _, status in recorded.outcomes) == ["dead", "retrying"]


async def test_cancelling_a_waiting_job_finishes_it_and_asking_a_running_one_does_not(
    jobs: InMemoryJobRepository, clock: FixedClock, recorded: RecordingJobEvents
) -> None:
    cancel = CancelJob(jobs, clock, InMemoryAuditTrail(), recorded)
    waiting = Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START)
    jobs.put(waiting)

    await cancel(waiting.id)
    await cancel(running(jobs).id)

    assert recorded.outcomes == [("ping", JobStatus.CANCELLED)]


class FakeStoreBacklog:
    def __init__(self, waiting: dict[str, WaitingJobs] | None) -> None:
        self._waiting = waiting

    async def waiting_jobs(self) -> dict[str, WaitingJobs]:
        if self._waiting is None:
            raise StoreUnavailable("down")
        return self._waiting


class FakeChannelBacklog:
    def __init__(self, pending: dict[str, int] | None) -> None:
        self._pending = pending

    async def in_flight(self, queues: Sequence[str]) -> dict[str, InFlight]:
        if self._pending is None:
            raise ChannelUnavailable("down")
        return {
            queue: InFlight(f"taskforge:queue:{queue}", self._pending[queue]) for queue in queues
        }


def pending_of(backlog: Backlog) -> int | None:
    return None if backlog.in_flight is None else backlog.in_flight.count


QUEUES = ("high", "normal", "low")


@pytest.mark.parametrize(
    ("oldest_run_at", "age"),
    [(START - timedelta(seconds=90), 90.0), (START + timedelta(seconds=5), 0.0), (None, 0.0)],
    ids=["ready-since-90s", "due-in-the-future", "nothing-waits"],
)
async def test_the_backlog_is_the_waiting_count_the_oldest_ready_age_and_the_pending_entries(
    clock: FixedClock, oldest_run_at: datetime | None, age: float
) -> None:
    waiting = {} if oldest_run_at is None else {"normal": WaitingJobs(7, oldest_run_at)}
    measure = MeasureBacklog(
        FakeStoreBacklog(waiting), FakeChannelBacklog({"normal": 3}), clock, ["normal"]
    )

    [backlog] = await measure()

    assert backlog.queue == "normal"
    assert backlog.in_flight is not None
    assert backlog.in_flight.where == "taskforge:queue:normal"
    assert (backlog.depth, backlog.oldest_ready_age_seconds) == (len(waiting) * 7, age)
    assert pending_of(backlog) == 3


async def test_every_configured_queue_is_measured_apart_and_an_idle_one_reads_zero(
    clock: FixedClock,
) -> None:
    waiting = {
        "high": WaitingJobs(40, START - timedelta(seconds=2)),
        "low": WaitingJobs(5, START - timedelta(seconds=600)),
    }
    pending = {"high": 12, "normal": 0, "low": 1}
    measure = MeasureBacklog(FakeStoreBacklog(waiting), FakeChannelBacklog(pending), clock, QUEUES)

    backlogs = {backlog.queue: backlog for backlog in await measure()}

    assert list(backlogs) == list(QUEUES)
    assert (backlogs["high"].depth, backlogs["high"].oldest_ready_age_seconds) == (40, 2.0)
    assert (backlogs["normal"].depth, backlogs["normal"].oldest_ready_age_seconds) == (0, 0.0)
    assert (backlogs["low"].depth, backlogs["low"].oldest_ready_age_seconds) == (5, 600.0)
    assert {q: pending_of(b) for q, b in backlogs.items()} == pending
    assert backlogs["low"].in_flight is not None
    assert backlogs["low"].in_flight.where == "taskforge:queue:low"


async def test_jobs_left_in_a_queue_no_longer_configured_are_still_reported(
    clock: FixedClock,
) -> None:
    waiting = {"normal": WaitingJobs(1, START), "retired": WaitingJobs(9, START)}
    measure = MeasureBacklog(
        FakeStoreBacklog(waiting), FakeChannelBacklog({"normal": 0}), clock, ["normal"]
    )

    backlogs = {backlog.queue: backlog for backlog in await measure()}

    assert backlogs["retired"].depth == 9
    assert backlogs["retired"].in_flight is None


async def test_a_source_that_does_not_answer_leaves_only_its_part_of_the_backlog_out(
    clock: FixedClock,
) -> None:
    pending = {"high": 0, "normal": 3, "low": 0}
    store_down = MeasureBacklog(FakeStoreBacklog(None), FakeChannelBacklog(pending), clock, QUEUES)
    redis_down = MeasureBacklog(
        FakeStoreBacklog({"normal": WaitingJobs(2, START)}), FakeChannelBacklog(None), clock, QUEUES
    )

    without_store, without_redis = await store_down(), await redis_down()

    assert [(b.depth, b.oldest_ready_age_seconds) for b in without_store] == [(None, None)] * 3
    assert [pending_of(b) for b in without_store] == [0, 3, 0]
    assert [(b.depth, pending_of(b)) for b in without_redis] == [
        (0, None),
        (2, None),
        (0, None),
    ]
