import asyncio
import math
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from taskforge_app.claim_jobs import Claimed, ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.handlers import JobContext
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.submit_job import SubmitJob
from taskforge_app.submit_jobs import NewJob, SubmitDefaults, SubmitJobs
from taskforge_domain.errors import RetryableError
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import START, FakeChannel, FixedClock, InMemoryJobRepository

LEASE = timedelta(seconds=35)


@pytest.fixture
def run(registry: HandlerRegistry, clock: FixedClock, policy: ExecutionPolicy) -> RunJob:
    return RunJob(registry, clock, policy)


def claimed(job_type: str, payload: dict[str, Any] | None = None, max_attempts: int = 3) -> Job:
    job = Job.submit(
        job_id=uuid4(),
        job_type=job_type,
        payload=payload or {},
        max_attempts=max_attempts,
        now=START,
    )
    return job.enqueue(START).start(START, LEASE)


def registry_with(job_type: str, handler: Any) -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.register(job_type, handler)
    return registry


async def test_an_attempt_cancelled_on_request_ends_cancelled_naming_the_attempt(
    run: RunJob, clock: FixedClock
) -> None:
    job = claimed("slow").request_cancel(START)
    clock.advance(timedelta(seconds=4))

    outcome = run.cancelled(job)

    assert (outcome.status, outcome.attempt, outcome.lease_expires_at) == (
        JobStatus.CANCELLED,
        1,
        None,
    )
    assert outcome.last_error == "cancelled on request while attempt 1 ran"
    assert outcome.updated_at == clock.now()


async def test_ping_completes_with_its_message_as_result(run: RunJob) -> None:
    outcome = await run(claimed("ping", {"message": "hello"}))

    assert outcome.status is JobStatus.COMPLETED
    assert outcome.result == {"message": "hello"}
    assert outcome.last_error is None


async def test_ping_asked_to_fail_retries_later_with_the_error_kept(
    run: RunJob, clock: FixedClock, policy: ExecutionPolicy
) -> None:
    job = claimed("ping", {"message": "hello", "fail": True})

    outcome = await run(job)

    assert outcome.status is JobStatus.RETRYING
    assert outcome.run_at > clock.now()
    assert outcome.run_at == clock.now() + policy.backoff.ceiling(job.attempt)
    assert outcome.last_error == "RetryableError: ping was asked to fail (payload.fail is true)"
    assert outcome.attempt == job.attempt


async def test_fail_retries_while_attempts_are_left(run: RunJob) -> None:
    outcome = await run(claimed("fail", max_attempts=2))

    assert outcome.status is JobStatus.RETRYING
    assert outcome.last_error is not None
    assert "fails on every attempt" in outcome.last_error


async def test_fail_on_its_last_attempt_is_dead(run: RunJob) -> None:
    outcome = await run(claimed("fail", max_attempts=1))

    assert (outcome.status, outcome.attempt) == (JobStatus.DEAD, 1)
    assert outcome.last_error is not None
    assert outcome.last_error.startswith("RetryableError: ")


async def test_dead_dies_at_its_first_attempt_however_many_are_left(run: RunJob) -> None:
    outcome = await run(claimed("dead", max_attempts=5))

    assert (outcome.status, outcome.attempt) == (JobStatus.DEAD, 1)
    assert outcome.last_error is not None
    assert outcome.last_error.startswith("TerminalError: ")


async def test_an_unknown_job_type_dies_naming_the_type(run: RunJob) -> None:
    outcome = await run(claimed("resize_image", max_attempts=5))

    assert outcome.status is JobStatus.DEAD
    assert outcome.last_error is not None
    assert "'resize_image'" in outcome.last_error
    assert "ping" in outcome.last_error


async def test_an_attempt_over_the_timeout_is_cancelled_and_fails_with_a_timeout(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    never = asyncio.Event()
    cancelled = asyncio.Event()

    async def hang(job: JobContext) -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    quick = ExecutionPolicy(timedelta(seconds=0.01), policy.lease, policy.backoff)
    run = RunJob(registry_with("hang", hang), clock, quick)

    outcome = await run(claimed("hang"))

    assert outcome.status is JobStatus.RETRYING
    assert outcome.last_error == "attempt timed out after 0.01s"
    assert cancelled.is_set()


async def test_a_timeout_raised_by_the_handler_itself_is_reported_as_its_own_error(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    async def upstream_timed_out(job: JobContext) -> None:
        raise TimeoutError("upstream did not answer in 2s")

    run = RunJob(registry_with("fetch", upstream_timed_out), clock, policy)

    outcome = await run(claimed("fetch"))

    assert outcome.status is JobStatus.RETRYING
    assert outcome.last_error == "TimeoutError: upstream did not answer in 2s"


async def test_an_unexpected_exception_is_a_retryable_failure(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    async def broken(job: JobContext) -> None:
        raise KeyError("width")

    outcome = await RunJob(registry_with("resize", broken), clock, policy)(claimed("resize"))

    assert outcome.status is JobStatus.RETRYING
    assert outcome.last_error == "KeyError: 'width'"


async def test_an_error_without_a_message_is_described_by_its_type(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    async def broken(job: JobContext) -> None:
        raise RetryableError

    outcome = await RunJob(registry_with("resize", broken), clock, policy)(claimed("resize"))

    assert outcome.last_error == "RetryableError"


async def test_the_handler_receives_a_read_only_view_of_the_claimed_job(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    seen: list[JobContext] = []

    async def handler(job: JobContext) -> None:
        seen.append(job)

    job = claimed("resize", {"width": 640}, max_attempts=4)
    job = replace(job, queue="bulk", worker="worker-3")

    outcome = await RunJob(registry_with("resize", handler), clock, policy)(job)

    [view] = seen
    assert type(view) is JobContext
    assert (view.id, view.job_type, view.attempt, view.max_attempts) == (job.id, "resize", 1, 4)
    assert (view.queue, view.created_at, view.worker) == ("bulk", job.created_at, "worker-3")
    assert view.payload == {"width": 640}
    assert outcome.status is JobStatus.COMPLETED


async def test_a_handler_may_return_its_payload_or_part_of_it(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    async def echo(job: JobContext) -> object:
        return {"all": job.payload, "first": job.payload["items"][0]}

    payload = {"items": [{"id": 1}, {"id": 2}], "note": None}

    outcome = await RunJob(registry_with("echo", echo), clock, policy)(claimed("echo", payload))

    assert outcome.status is JobStatus.COMPLETED
    assert outcome.result == {"all": payload, "first": {"id": 1}}


@pytest.mark.parametrize("wait", [timedelta(0), timedelta(seconds=30), timedelta(hours=24)])
async def test_a_retryable_error_with_retry_in_retries_after_that_wait_not_the_backoff(
    clock: FixedClock, policy: ExecutionPolicy, wait: timedelta
) -> None:
    async def rate_limited(job: JobContext) -> None:
        raise RetryableError("rate limited", retry_in=wait)

    run = RunJob(registry_with("fetch", rate_limited), clock, policy)
    clock.advance(timedelta(seconds=7))

    outcome = await run(claimed("fetch", max_attempts=3))

    assert outcome.status is JobStatus.RETRYING
    assert outcome.run_at == clock.now() + wait
    assert outcome.last_error == "RetryableError: rate limited"
    assert outcome.attempt == 1


async def test_a_retryable_error_with_retry_in_on_the_last_attempt_is_dead(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    async def rate_limited(job: JobContext) -> None:
        raise RetryableError("rate limited", retry_in=timedelta(seconds=30))

    run = RunJob(registry_with("fetch", rate_limited), clock, policy)

    outcome = await run(claimed("fetch", max_attempts=1))

    assert (outcome.status, outcome.attempt) == (JobStatus.DEAD, 1)
    assert outcome.last_error == "RetryableError: rate limited"


async def test_a_handlers_own_timeout_that_is_retryable_keeps_its_wait(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    class UpstreamTimedOut(RetryableError, TimeoutError):
        pass

    async def fetch(job: JobContext) -> None:
        raise UpstreamTimedOut("upstream busy", retry_in=timedelta(seconds=45))

    outcome = await RunJob(registry_with("fetch", fetch), clock, policy)(claimed("fetch"))

    assert outcome.run_at == clock.now() + timedelta(seconds=45)
    assert outcome.last_error == "UpstreamTimedOut: upstream busy"


async def test_a_handler_asking_for_a_wait_over_the_maximum_fails_with_the_backoff(
    clock: FixedClock, policy: ExecutionPolicy
) -> None:
    async def overeager(job: JobContext) -> None:
        raise RetryableError("come back next month", retry_in=timedelta(days=30))

    outcome = await RunJob(registry_with("fetch", overeager), clock, policy)(claimed("fetch"))

    assert outcome.status is JobStatus.RETRYING
    assert outcome.run_at == clock.now() + policy.backoff.ceiling(1)
    assert outcome.last_error is not None
    assert outcome.last_error.startswith("ValueError: retry_in must be at most 1 day")


@pytest.mark.parametrize("result", [None, "done", 3, 2.5, True, [1, "a"], {"nested": {"a": [1]}}])
async def test_any_json_value_a_handler_returns_is_the_result(
    clock: FixedClock, policy: ExecutionPolicy, result: object
) -> None:
    async def handler(job: JobContext) -> object:
        return result

    outcome = await RunJob(registry_with("echo", handler), clock, policy)(claimed("echo"))

    assert outcome.status is JobStatus.COMPLETED
    assert outcome.result == result


@pytest.mark.parametrize(
    "result",
    [object(), {"when": START}, {1, 2}, b"bytes", {"ratio": math.nan}, math.nan, math.inf],
    ids=["object", "datetime", "set", "bytes", "nested-nan", "nan", "infinity"],
)
async def test_a_handler_returning_a_value_that_is_not_json_dies(
    clock: FixedClock, policy: ExecutionPolicy, result: object
) -> None:
    async def handler(job: JobContext) -> object:
        return result

    outcome = await RunJob(registry_with("odd", handler), clock, policy)(claimed("odd"))

    assert outcome.status is JobStatus.DEAD
    assert outcome.last_error is not None
    assert "not JSON" in outcome.last_error


async def test_a_fail_job_is_dead_after_max_attempts_through_the_whole_cycle(
    jobs: InMemoryJobRepository,
    queue: FakeChannel,
    clock: FixedClock,
    policy: ExecutionPolicy,
    run: RunJob,
) -> None:
    submit = SubmitJob(SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=5)))
    claim = ClaimJobs(jobs, queue, clock, policy)
    record = RecordOutcomes(jobs, jobs, queue, queue, clock, policy)
    promote = PromoteDueRetries(jobs, queue, clock, batch_size=10)
    job = (await submit(NewJob("fail", {}, max_attempts=3))).job

    for _ in range(5):
        started = await claim(await queue.receive("worker-1", ["normal"], 10, 0), "worker-1")
        await record([Claimed(item.message_id, await run(item.job)) for item in started])
        clock.advance(timedelta(hours=1))
        await promote()

    final = jobs.jobs[job.id]
    assert (final.status, final.attempt) == (JobStatus.DEAD, 3)
    assert [letter.job_id for letter in queue.dead_letters] == [job.id]
    assert queue.dead_letters[0].attempt == 3
    assert len(queue.published) == 3
    assert queue.inbox == []
    assert len(queue.acked) == 3
    history = await jobs.attempts(job.id)
    assert [(a.attempt, a.outcome, a.worker) for a in history] == [
        (1, "retrying", "worker-1"),
        (2, "retrying", "worker-1"),
        (3, "dead", "worker-1"),
    ]
