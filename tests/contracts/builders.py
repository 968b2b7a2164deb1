"""Jobs for the contract tests, brought into each status only through the ports, so
the fake and the real store are arranged by the same calls."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.contracts.conftest import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=10)
LEASE = timedelta(seconds=30)
# The top of the jitter range: a retry's run_at is predictable.
BACKOFF = FullJitterBackoff(
    base=timedelta(seconds=1), cap=timedelta(minutes=1), uniform=lambda low, high: high
)


def new_job(
    *,
    at: datetime = NOW,
    key: str | None = None,
    payload: dict[str, Any] | None = None,
    run_at: datetime | None = None,
    queue: str = "normal",
    job_type: str = "echo",
    max_attempts: int = 3,
) -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type=job_type,
        payload={"n": 1} if payload is None else payload,
        max_attempts=max_attempts,
        now=at,
        idempotency_key=key,
        run_at=run_at,
        queue=queue,
    )


async def submitted(store: Store, **kwargs: Any) -> Job:
    [(job, created)] = await store.insert_many([new_job(**kwargs)])
    assert created
    return job


async def queued(store: Store, **kwargs: Any) -> Job:
    job = await submitted(store, **kwargs)
    at = kwargs.get("at", NOW)
    await store.mark_queued([job.id], at)
    return job.enqueue(at)


async def started(store: Store, *, worker: str = "worker-1", **kwargs: Any) -> Job:
    job = await submitted(store, **kwargs)
    [running] = await store.claim([job.id], kwargs.get("at", NOW), LEASE, worker)
    return running


async def finished(
    store: Store, status: JobStatus, *, after: timedelta = timedelta(seconds=5), **kwargs: Any
) -> Job:
    """A job whose first attempt ended in `status`, `after` it started."""
    running = await started(store, **kwargs)
    end = running.updated_at + after
    outcomes = {
        JobStatus.COMPLETED: lambda: running.complete({"ok": True}, end),
        JobStatus.RETRYING: lambda: running.fail("boom", end, BACKOFF),
        JobStatus.DEAD: lambda: running.kill("fatal", end),
        JobStatus.CANCELLED: lambda: running.cancelled_while_running(end),
    }
    outcome = outcomes[status]()
    assert await store.record_outcomes([outcome]) == {outcome.id}
    return outcome


async def on_second_attempt(store: Store) -> tuple[Job, Job, Job]:
    """A job whose first attempt failed and whose second runs now: the first attempt,
    its stored failure, and the second attempt."""
    first = await started(store)
    retrying = first.fail("boom", LATER, BACKOFF)
    await store.record_outcomes([retrying])
    await store.promote_due(retrying.run_at, 10)
    [second] = await store.claim([first.id], retrying.run_at, LEASE, "worker-2")
    return first, retrying, second


def decided_fields(job: Job) -> tuple[object, ...]:
    """What the domain decides when an attempt ends; the store must write exactly this."""
    return (job.status, job.attempt, job.result, job.last_error, job.run_at)
