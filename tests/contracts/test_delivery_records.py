"""DeliveryRecords and DeadLetterRecords: what the scheduler's passes read and mark."""

import asyncio
from datetime import timedelta

import pytest

from taskforge_domain.job_status import JobStatus
from tests.contracts.builders import NOW, finished, queued, started, submitted
from tests.contracts.conftest import Store

pytestmark = pytest.mark.contract

HOUR = timedelta(hours=1)


async def test_promote_due_queues_retrying_and_scheduled_jobs_whose_run_at_has_come(
    store: Store,
) -> None:
    # Given a due retry, a due scheduled job, one scheduled for later and a pending job
    retrying = await finished(store, JobStatus.RETRYING)
    due = await submitted(store, run_at=NOW + timedelta(minutes=1))
    not_yet = await submitted(store, run_at=NOW + 2 * HOUR)
    pending = await submitted(store)
    now = NOW + HOUR

    # When the scheduler promotes
    promoted = await store.promote_due(now, 10)

    # Then only the due ones are queued, as Job.enqueue makes them
    assert {job.id: job for job in promoted} == {
        retrying.id: retrying.enqueue(now),
        due.id: due.enqueue(now),
    }
    assert await store.get(retrying.id) == retrying.enqueue(now)
    assert await store.get(not_yet.id) == not_yet
    assert await store.get(pending.id) == pending


async def test_promote_due_never_promotes_more_than_the_limit_nor_one_job_twice(
    store: Store,
) -> None:
    jobs = [await submitted(store, run_at=NOW + timedelta(seconds=s)) for s in range(1, 8)]
    now = NOW + HOUR

    first = await store.promote_due(now, 3)
    rest = await store.promote_due(now, 10)

    assert len(first) == 3
    assert sorted(job.id for job in [*first, *rest]) == sorted(job.id for job in jobs)
    assert await store.promote_due(now, 10) == []


async def test_two_schedulers_promoting_at_once_never_promote_one_job_twice(store: Store) -> None:
    jobs = [await submitted(store, run_at=NOW + timedelta(seconds=s)) for s in range(1, 11)]

    one, other = await asyncio.gather(
        store.promote_due(NOW + HOUR, 6), store.promote_due(NOW + HOUR, 6)
    )

    promoted = [job.id for job in [*one, *other]]
    assert len(promoted) == len(set(promoted)) == len(jobs)


async def test_find_waiting_pages_pending_and_queued_jobs_oldest_first(store: Store) -> None:
    # Given waiting jobs last changed at different times, and jobs that do not wait
    waiting = [await submitted(store, at=NOW + timedelta(seconds=s)) for s in (3, 1)]
    waiting.append(await queued(store, at=NOW + timedelta(seconds=2)))
    await submitted(store, at=NOW + timedelta(seconds=30))  # changed too recently
    await started(store)
    await submitted(store, run_at=NOW + HOUR)
    oldest_first = sorted(waiting, key=lambda job: (job.updated_at, job.id))
    before = NOW + timedelta(seconds=10)

    # When the repair pass reads them two at a time
    page = await store.find_waiting(before, 2)
    last = page[-1]
    rest = await store.find_waiting(before, 2, after=(last.updated_at, last.id))

    # Then it sees each waiting job once, oldest first
    assert [*page, *rest] == oldest_first
    assert await store.find_waiting(before, 2, after=(rest[-1].updated_at, rest[-1].id)) == []


async def test_dead_jobs_not_lettered_are_found_until_marked_lettered(store: Store) -> None:
    older = await finished(store, JobStatus.DEAD, at=NOW)
    newer = await finished(store, JobStatus.DEAD, at=NOW + timedelta(seconds=5))
    await finished(store, JobStatus.CANCELLED)
    recent = await finished(store, JobStatus.DEAD, at=NOW + HOUR)
    before = NOW + timedelta(minutes=1)

    assert await store.find_dead_not_lettered(before, 10) == [older, newer]
    assert await store.find_dead_not_lettered(before, 1) == [older]

    await store.mark_dead_lettered([older.id, recent.id], before)

    assert await store.find_dead_not_lettered(before, 10) == [newer]


async def test_mark_dead_lettered_ignores_jobs_that_are_not_dead(store: Store) -> None:
    pending = await submitted(store)
    await store.mark_dead_lettered([pending.id], NOW)
    dead = await store.replace(pending.cancel(NOW), pending)
    assert dead is not None

    assert await store.find_dead_not_lettered(NOW + HOUR, 10) == []


async def test_a_replayed_job_that_dies_again_needs_a_new_dead_letter(store: Store) -> None:
    # Given a dead job whose letter was published
    dead = await finished(store, JobStatus.DEAD)
    await store.mark_dead_lettered([dead.id], dead.updated_at)

    # When an operator replays it and it dies again
    replayed = dead.replay(dead.updated_at + timedelta(seconds=1), 1)
    assert await store.replace(replayed, dead) is not None
    [running] = await store.claim([dead.id], replayed.updated_at, timedelta(seconds=30), "w")
    again = running.kill("fatal again", replayed.updated_at + timedelta(seconds=1))
    assert await store.record_outcomes([again]) == {dead.id}

    # Then its second death is found as not lettered
    assert await store.find_dead_not_lettered(again.updated_at + HOUR, 10) == [
        await store.get(dead.id)
    ]
