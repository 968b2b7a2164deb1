"""AttemptLedger: attempts start only from claimable statuses, once, and end only as
the domain decided them, while the store still holds the job as that decision saw it."""

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_domain.job_status import CLAIMABLE_STATUSES, JobStatus
from tests.contracts.builders import (
    BACKOFF,
    LATER,
    LEASE,
    NOW,
    decided_fields,
    finished,
    on_second_attempt,
    queued,
    started,
    submitted,
)
from tests.contracts.conftest import Store

pytestmark = pytest.mark.contract


async def test_claim_starts_the_next_attempt_of_pending_and_queued_jobs_as_job_start_does(
    store: Store,
) -> None:
    # Given a pending job and a queued one
    pending = await submitted(store)
    waiting = await queued(store)

    # When a worker claims both
    claimed = await store.claim([pending.id, waiting.id], LATER, LEASE, "worker-1")

    # Then each is what the domain's start makes of the stored job, and is stored so
    assert {JobStatus.PENDING, JobStatus.QUEUED} == CLAIMABLE_STATUSES
    expected = {job.id: job.start(LATER, LEASE, "worker-1") for job in (pending, waiting)}
    assert {job.id: job for job in claimed} == expected
    for job_id, job in expected.items():
        assert await store.get(job_id) == job


@pytest.mark.parametrize(
    "status", [JobStatus.RETRYING, JobStatus.COMPLETED, JobStatus.DEAD, JobStatus.CANCELLED]
)
async def test_claim_leaves_jobs_in_other_statuses_alone(store: Store, status: JobStatus) -> None:
    job = await finished(store, status)

    assert await store.claim([job.id], LATER, LEASE, "worker-2") == []
    assert await store.get(job.id) == job


async def test_a_scheduled_job_and_an_unknown_id_are_not_claimed(store: Store) -> None:
    scheduled = await submitted(store, run_at=NOW + timedelta(hours=1))
    assert scheduled.status is JobStatus.SCHEDULED

    assert await store.claim([scheduled.id, uuid4()], LATER, LEASE, "worker-1") == []
    assert await store.get(scheduled.id) == scheduled


async def test_a_claimed_job_is_never_claimed_again(store: Store) -> None:
    running = await started(store)

    assert await store.claim([running.id], LATER, LEASE, "worker-2") == []
    assert await store.get(running.id) == running


async def test_two_workers_claiming_the_same_jobs_at_once_never_start_one_attempt_twice(
    store: Store,
) -> None:
    jobs = [await queued(store) for _ in range(20)]
    ids = [job.id for job in jobs]

    first, second = await asyncio.gather(
        store.claim(ids, LATER, LEASE, "worker-1"), store.claim(ids[::-1], LATER, LEASE, "worker-2")
    )

    claimed = [job.id for job in [*first, *second]]
    assert sorted(claimed) == sorted(ids)
    assert all(job.attempt == 1 for job in [*first, *second])


async def test_a_job_named_twice_in_one_claim_starts_one_attempt(store: Store) -> None:
    job = await queued(store)

    claimed = await store.claim([job.id, job.id], LATER, LEASE, "worker-1")

    assert [(c.id, c.attempt) for c in claimed] == [(job.id, 1)]


@pytest.mark.parametrize(
    "status", [JobStatus.COMPLETED, JobStatus.RETRYING, JobStatus.DEAD, JobStatus.CANCELLED]
)
async def test_an_outcome_of_the_running_attempt_is_written_as_decided(
    store: Store, status: JobStatus
) -> None:
    # Given/When: an attempt ends as the domain decided (finished() records it)
    outcome = await finished(store, status)

    # Then the job read back is that outcome in every field the domain decides
    stored = await store.get(outcome.id)
    assert stored is not None
    assert decided_fields(stored) == decided_fields(outcome)
    assert stored.updated_at == outcome.updated_at
    assert stored.lease_expires_at is None


async def test_record_outcomes_returns_only_the_ids_it_wrote(store: Store) -> None:
    running = await started(store)
    stale = await started(store)
    # Another worker's attempt took over `stale` after its lease: the old outcome is late.
    await store.record_outcomes([stale.fail("lost", LATER, BACKOFF)])
    late = stale.complete({"late": True}, LATER)

    written = await store.record_outcomes([running.complete(None, LATER), late])

    assert written == {running.id}


async def test_an_outcome_of_an_attempt_no_longer_running_is_refused_and_changes_nothing(
    store: Store,
) -> None:
    # Given a job whose first attempt failed and whose second attempt runs now
    first, _, second = await on_second_attempt(store)

    # When the first attempt's outcome arrives again, late
    refused = await store.record_outcomes([first.complete({"late": True}, LATER)])

    # Then it is refused and the running attempt is untouched
    assert refused == set()
    assert await store.get(first.id) == second


async def test_an_outcome_that_missed_a_cancel_request_is_refused(store: Store) -> None:
    # Given a running job an operator asked to cancel after the worker decided its outcome
    running = await started(store)
    asked = running.request_cancel(LATER)
    assert await store.replace(asked, running) is not None

    # When the outcome decided without the request is written
    refused = await store.record_outcomes([running.fail("boom", LATER, BACKOFF)])

    # Then it is refused, and the outcome decided again against the stored job is written
    assert refused == set()
    assert await store.get(running.id) == asked
    again = running.fail("boom", LATER, BACKOFF).decided_again(asked, LATER, BACKOFF)
    assert again.status is JobStatus.CANCELLED
    assert await store.record_outcomes([again]) == {running.id}
    stored = await store.get(running.id)
    assert stored is not None
    assert decided_fields(stored) == decided_fields(again)


async def test_with_lease_expired_before_only_attempts_whose_lease_ran_out_are_written(
    store: Store,
) -> None:
    early = await started(store, at=NOW)
    recent = await started(store, at=NOW + timedelta(seconds=20))
    cutoff = NOW + LEASE + timedelta(seconds=1)
    outcomes = [job.fail("lease expired", cutoff, BACKOFF) for job in (early, recent)]

    written = await store.record_outcomes(outcomes, lease_expired_before=cutoff)

    assert written == {early.id}
    assert await store.get(recent.id) == recent


async def test_attempt_history_holds_failed_and_cancelled_attempts_but_not_the_completed_one(
    store: Store,
) -> None:
    # Given a job that failed once, then completed on its second attempt
    first, retrying, second = await on_second_attempt(store)
    done = second.complete({"ok": True}, retrying.run_at + timedelta(seconds=1))
    await store.record_outcomes([done])
    # And a job whose attempt was cancelled on request
    cancelled = await finished(store, JobStatus.CANCELLED)

    # Then the history records the attempts the job's own row does not
    assert done.attempt_recorded_in_row
    [failed_attempt] = await store.attempts(first.id)
    assert (failed_attempt.attempt, failed_attempt.outcome, failed_attempt.error) == (
        1,
        "retrying",
        "boom",
    )
    assert (failed_attempt.worker, failed_attempt.started_at) == ("worker-1", first.started_at)
    assert failed_attempt.finished_at == retrying.updated_at
    [cancelled_attempt] = await store.attempts(cancelled.id)
    assert (cancelled_attempt.attempt, cancelled_attempt.outcome) == (1, "cancelled")
    assert await store.attempts(uuid4()) == []


async def test_running_returns_those_of_the_given_jobs_that_run_now_as_stored(
    store: Store,
) -> None:
    running = await started(store)
    waiting = await queued(store)
    done = await finished(store, JobStatus.COMPLETED)

    assert await store.running([running.id, waiting.id, done.id]) == [running]
    assert await store.running([]) == []


async def test_extend_leases_renews_held_attempts_and_names_those_asked_to_cancel(
    store: Store,
) -> None:
    # Given two running jobs, one of them asked to cancel, and one that finished
    kept = await started(store)
    asked = await started(store)
    await store.replace(asked.request_cancel(LATER), asked)
    done = await finished(store, JobStatus.COMPLETED)

    # When their worker renews all three leases, one with a wrong attempt number too
    renewal = await store.extend_leases(
        [(kept.id, 1), (asked.id, 1), (done.id, 1), (kept.id, 2)], LATER, LEASE
    )

    # Then only the held attempts are renewed
    assert renewal.held == {kept.id, asked.id}
    assert renewal.cancel_requested == {asked.id}
    stored = await store.get(kept.id)
    assert stored is not None
    assert stored.lease_expires_at == LATER + LEASE


async def test_find_expired_leases_are_running_jobs_whose_lease_ran_out_oldest_first(
    store: Store,
) -> None:
    older = await started(store, at=NOW)
    newer = await started(store, at=NOW + timedelta(seconds=5))
    await started(store, at=NOW + timedelta(minutes=5))
    await finished(store, JobStatus.COMPLETED, at=NOW)
    after_both = NOW + LEASE + timedelta(seconds=6)

    assert await store.find_expired_leases(after_both, 10) == [older, newer]
    assert await store.find_expired_leases(after_both, 1) == [older]
    assert await store.find_expired_leases(NOW + LEASE, 10) == []
