"""JobIntake: new jobs stored as sent, an idempotency key answered with its first job,
and only pending jobs marked as queued."""

from datetime import timedelta

import pytest

from taskforge_app.ports import UnstorablePayload
from taskforge_domain.job_status import JobStatus
from tests.contracts.builders import NOW, new_job, started, submitted
from tests.contracts.conftest import Store

pytestmark = pytest.mark.contract


async def test_new_jobs_are_stored_as_sent_and_reported_new_in_order(store: Store) -> None:
    jobs = [new_job(queue="high"), new_job(run_at=NOW + timedelta(hours=1)), new_job()]

    stored = await store.insert_many(jobs)

    assert stored == [(job, True) for job in jobs]
    for job in jobs:
        assert await store.get(job.id) == job


async def test_a_known_idempotency_key_returns_the_first_job_and_false(store: Store) -> None:
    first = await submitted(store, key="order-7")
    again, fresh = new_job(key="order-7", payload={"n": 2}), new_job()

    stored = await store.insert_many([again, fresh])

    assert stored == [(first, False), (fresh, True)]
    assert await store.get(again.id) is None


async def test_one_key_twice_in_one_batch_stores_the_first_job_only(store: Store) -> None:
    first, second = new_job(key="twice"), new_job(key="twice")

    stored = await store.insert_many([first, second])

    assert stored == [(first, True), (first, False)]
    assert await store.get(second.id) is None


async def test_a_payload_with_a_nul_character_is_unstorable_and_nothing_is_stored(
    store: Store,
) -> None:
    fine, broken = new_job(), new_job(payload={"text": "a\u0000b"})

    with pytest.raises(UnstorablePayload):
        await store.insert_many([fine, broken])

    assert await store.get(fine.id) is None


async def test_a_payload_with_the_escape_text_of_nul_is_storable(store: Store) -> None:
    # A backslash followed by u0000 is six ordinary characters, not a NUL.
    job = new_job(payload={"text": "\\u0000"})

    assert await store.insert_many([job]) == [(job, True)]
    assert await store.get(job.id) == job


async def test_mark_queued_moves_only_pending_jobs(store: Store) -> None:
    pending = await submitted(store)
    scheduled = await submitted(store, run_at=NOW + timedelta(hours=1))
    running = await started(store)
    later = NOW + timedelta(seconds=3)

    await store.mark_queued([pending.id, scheduled.id, running.id], later)

    assert await store.get(pending.id) == pending.enqueue(later)
    assert await store.get(scheduled.id) == scheduled
    assert await store.get(running.id) == running
    assert (await store.get(pending.id)).status is JobStatus.QUEUED  # type: ignore[union-attr]
