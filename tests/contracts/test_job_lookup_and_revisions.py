"""JobLookup, JobRevisions, FinishedJobs and the store's Probe."""

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.ports import JobQuery
from taskforge_domain.job_status import JobStatus
from tests.contracts.builders import LEASE, NOW, finished, started, submitted
from tests.contracts.conftest import Store

pytestmark = pytest.mark.contract

SECOND = timedelta(seconds=1)


async def test_get_returns_the_stored_job_or_none(store: Store) -> None:
    job = await submitted(store)

    assert await store.get(job.id) == job
    assert await store.get(uuid4()) is None


async def test_list_jobs_is_newest_first_and_pages_by_keyset(store: Store) -> None:
    jobs = [await submitted(store, at=NOW + s * SECOND) for s in range(5)]
    newest_first = jobs[::-1]

    page = await store.list_jobs(JobQuery(limit=2))
    last = page[-1]
    rest = await store.list_jobs(JobQuery(limit=10, before=(last.created_at, last.id)))

    assert page == newest_first[:2]
    assert rest == newest_first[2:]


async def test_list_jobs_filters_by_status_type_queue_and_key(store: Store) -> None:
    echo = await submitted(store, job_type="echo", queue="high", key="k-1", at=NOW)
    ping = await submitted(store, job_type="ping", at=NOW + SECOND)
    running = await started(store, job_type="ping", at=NOW + 2 * SECOND)

    def listed(**filters: object) -> object:
        return store.list_jobs(JobQuery(limit=10, **filters))  # type: ignore[arg-type]

    assert await listed(status=JobStatus.RUNNING) == [running]
    assert await listed(job_type="ping") == [running, ping]
    assert await listed(queue="high") == [echo]
    assert await listed(idempotency_key="k-1") == [echo]
    assert await listed(job_type="echo", queue="normal") == []


async def test_list_jobs_finds_an_error_text_whatever_its_case_and_like_characters(
    store: Store,
) -> None:
    dead = await finished(store, JobStatus.DEAD)  # last_error "fatal"
    await finished(store, JobStatus.RETRYING)  # last_error "boom"
    await submitted(store)

    assert await store.list_jobs(JobQuery(limit=10, error_contains="FaTa")) == [dead]
    # % and _ are text here, not wildcards.
    assert await store.list_jobs(JobQuery(limit=10, error_contains="f_tal")) == []
    assert await store.list_jobs(JobQuery(limit=10, error_contains="%")) == []


async def test_list_jobs_bounds_created_at_and_updated_at_from_after_inclusive_to_before(
    store: Store,
) -> None:
    early, middle, late = [await submitted(store, at=NOW + s * SECOND) for s in (0, 1, 2)]
    lo, hi = NOW + SECOND, NOW + 2 * SECOND

    created = await store.list_jobs(JobQuery(limit=10, created_after=lo, created_before=hi))
    updated = await store.list_jobs(JobQuery(limit=10, updated_after=lo, updated_before=hi))

    assert created == updated == [middle]
    assert await store.list_jobs(JobQuery(limit=1, created_after=NOW)) == [late]
    assert await store.list_jobs(JobQuery(limit=10, updated_before=lo)) == [early]


async def test_replace_writes_a_change_while_the_job_is_as_expected(store: Store) -> None:
    pending = await submitted(store)
    cancelled = pending.cancel(NOW + SECOND)

    written = await store.replace(cancelled, pending)

    assert written == cancelled
    assert await store.get(pending.id) == cancelled


async def test_replace_refuses_a_job_that_moved_on_and_leaves_it_unchanged(store: Store) -> None:
    # Given an operator read a pending job, and a worker claimed it meanwhile
    pending = await submitted(store)
    [running] = await store.claim([pending.id], NOW + SECOND, LEASE, "worker-1")

    # When the operator's cancel, decided from the pending job, is written
    refused = await store.replace(pending.cancel(NOW + 2 * SECOND), pending)

    # Then it is refused: status and attempt no longer match
    assert refused is None
    assert await store.get(pending.id) == running
    never_stored = replace(pending, id=uuid4())
    assert await store.replace(never_stored.cancel(NOW), never_stored) is None


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.DEAD, JobStatus.CANCELLED])
async def test_delete_finished_deletes_only_that_status_finished_before_the_cutoff(
    store: Store, status: JobStatus
) -> None:
    # Given old and recent jobs finished in each status, and one still running
    old = [await finished(store, status, at=NOW) for _ in range(3)]
    recent = await finished(store, status, at=NOW + timedelta(hours=2))
    others = [
        await finished(store, s, at=NOW) for s in {JobStatus.COMPLETED, JobStatus.DEAD} - {status}
    ]
    running = await started(store, at=NOW)
    cutoff = NOW + timedelta(hours=1)

    # When retention deletes two, then the rest
    first = await store.delete_finished(status, cutoff, 2)
    second = await store.delete_finished(status, cutoff, 10)

    # Then only the old jobs of that status went, with their attempt history
    assert (first, second) == (2, 1)
    for job in old:
        assert await store.get(job.id) is None
        assert await store.attempts(job.id) == []
    for job in [recent, *others, running]:
        assert await store.get(job.id) is not None


async def test_delete_finished_refuses_a_status_that_is_not_finished(store: Store) -> None:
    with pytest.raises(ValueError, match="finished"):
        await store.delete_finished(JobStatus.RUNNING, NOW, 10)


async def test_the_store_answers_a_ping(store: Store) -> None:
    await store.ping()
