import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_app.ports import UnstorablePayload
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus

LEASE = timedelta(seconds=90)
BACKOFF = FullJitterBackoff(
    base=timedelta(seconds=1), cap=timedelta(minutes=5), uniform=lambda low, high: high
)


def fixed_delay(delay: timedelta) -> FullJitterBackoff:
    return FullJitterBackoff(base=delay, cap=delay, uniform=lambda low, high: high)


def utc_now() -> datetime:
    return datetime.now(UTC)


def submitted(
    *,
    now: datetime | None = None,
    idempotency_key: str | None = None,
    payload: dict[str, object] | None = None,
    max_attempts: int = 3,
) -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type="echo",
        payload={} if payload is None else payload,
        max_attempts=max_attempts,
        now=now or utc_now(),
        idempotency_key=idempotency_key,
    )


def unique_key() -> str:
    return f"key-{uuid4()}"


@pytest.fixture
def repository(pg_pool) -> PgJobRepository:
    return PgJobRepository(pg_pool)


async def inserted(repository: PgJobRepository, **kwargs: Any) -> Job:
    job, created = (await repository.insert_many([submitted(**kwargs)]))[0]
    assert created
    return job


async def running(repository: PgJobRepository, now: datetime, **kwargs: Any) -> Job:
    job = await inserted(repository, now=now, **kwargs)
    [claimed] = await repository.claim([job.id], now, LEASE, "test-worker")
    return claimed


async def retrying(repository: PgJobRepository, now: datetime, delay: timedelta) -> Job:
    started = await running(repository, now)
    failed = started.fail("boom", now, fixed_delay(delay))
    assert await repository.record_outcomes([failed]) == {failed.id}
    return failed


async def test_inserted_job_reads_back_unchanged(repository):
    job = submitted(
        payload={"to": "ünïcode@example.com", "n": 3, "tags": ["a", "b"], "x": {"y": None}},
        idempotency_key=unique_key(),
    )

    stored, created = (await repository.insert_many([job]))[0]
    fetched = await repository.get(job.id)

    assert created
    assert stored == job
    assert fetched == job
    assert fetched.status is JobStatus.PENDING
    for moment in (fetched.run_at, fetched.created_at, fetched.updated_at):
        assert moment.utcoffset() == timedelta(0)


async def test_get_of_an_unknown_id_returns_none(repository):
    assert await repository.get(uuid4()) is None


async def test_second_insert_with_a_known_key_returns_the_first_job(repository, pg_pool):
    key = unique_key()
    first = submitted(idempotency_key=key, payload={"n": 1})
    await repository.insert_many([first])

    stored, created = (
        await repository.insert_many([submitted(idempotency_key=key, payload={"n": 2})])
    )[0]

    assert not created
    assert stored == first
    assert await pg_pool.fetchval("SELECT count(*) FROM jobs WHERE idempotency_key = $1", key) == 1


async def test_concurrent_submits_with_one_key_create_one_job(repository, pg_pool):
    key = unique_key()
    candidates = [submitted(idempotency_key=key) for _ in range(20)]

    batches = await asyncio.gather(*(repository.insert_many([job]) for job in candidates))
    results = [result for [result] in batches]

    winners = [job for job, created in results if created]
    assert len(winners) == 1
    assert winners[0].id in {job.id for job in candidates}
    assert {job.id for job, _ in results} == {winners[0].id}
    assert await pg_pool.fetchval("SELECT count(*) FROM jobs WHERE idempotency_key = $1", key) == 1


async def test_one_batch_inserts_new_jobs_and_returns_known_keys_in_request_order(repository):
    known_key, new_key = unique_key(), unique_key()
    first = await inserted(repository, idempotency_key=known_key)
    batch = [
        submitted(idempotency_key=new_key),
        submitted(idempotency_key=known_key, payload={"other": True}),
        submitted(),
        submitted(idempotency_key=new_key),
    ]

    results = await repository.insert_many(batch)

    assert [created for _, created in results] == [True, False, True, False]
    assert results[1][0].id == first.id
    assert results[3][0].id == results[0][0].id == batch[0].id
    assert results[2][0].id == batch[2].id


async def test_mark_queued_moves_only_pending_jobs(repository):
    now = utc_now()
    pending = await inserted(repository, now=now)
    started = await running(repository, now)
    later = now + timedelta(seconds=1)

    await repository.mark_queued([pending.id, started.id], later)

    queued = await repository.get(pending.id)
    assert queued.status is JobStatus.QUEUED
    assert queued.updated_at == later
    assert await repository.get(started.id) == started


@pytest.mark.parametrize("queued_first", [False, True], ids=["pending", "queued"])
async def test_claim_starts_the_next_attempt_with_a_lease(repository, queued_first):
    now = utc_now()
    job = await inserted(repository, now=now)
    if queued_first:
        await repository.mark_queued([job.id], now)

    claimed = await repository.claim([job.id], now, LEASE, "test-worker")

    assert [(j.id, j.status, j.attempt) for j in claimed] == [(job.id, JobStatus.RUNNING, 1)]
    assert claimed[0].lease_expires_at == now + LEASE
    assert claimed[0].updated_at == now
    assert await repository.get(job.id) == claimed[0]


async def test_claim_skips_running_completed_and_unknown_jobs(repository):
    now = utc_now()
    started = await running(repository, now)
    finished = (await running(repository, now)).complete({"ok": True}, now)
    await repository.record_outcomes([finished])

    claimed = await repository.claim([started.id, finished.id, uuid4()], now, LEASE, "test-worker")

    assert claimed == []
    assert await repository.get(started.id) == started
    assert (await repository.get(finished.id)).status is JobStatus.COMPLETED


async def test_concurrent_claims_of_the_same_jobs_give_each_job_to_one_caller(repository):
    now = utc_now()
    ids = [(await inserted(repository, now=now)).id for _ in range(30)]

    first, second = await asyncio.gather(
        repository.claim(ids, now, LEASE, "test-worker"),
        repository.claim(ids[::-1], now, LEASE, "test-worker"),
    )

    first_ids, second_ids = {j.id for j in first}, {j.id for j in second}
    assert first_ids.isdisjoint(second_ids)
    assert first_ids | second_ids == set(ids)
    assert {j.attempt for j in [*first, *second]} == {1}


async def test_record_outcomes_writes_completed_retrying_and_dead(repository):
    now = utc_now()
    finished_at = now + timedelta(seconds=3)
    completed = (await running(repository, now)).complete({"echo": [1, "two"]}, finished_at)
    retried = (await running(repository, now)).fail("timeout", finished_at, BACKOFF)
    killed = (await running(repository, now)).kill("TerminalError: bad input", finished_at)
    exhausted = (await running(repository, now, max_attempts=1)).fail("boom", finished_at, BACKOFF)

    written = await repository.record_outcomes([completed, retried, killed, exhausted])

    assert written == {completed.id, retried.id, killed.id, exhausted.id}
    for job in (completed, retried, killed, exhausted):
        assert await repository.get(job.id) == job
    assert retried.status is JobStatus.RETRYING
    assert retried.run_at == finished_at + timedelta(seconds=2)
    assert exhausted.status is JobStatus.DEAD


async def test_outcome_of_a_job_no_longer_running_is_fenced(repository):
    now = utc_now()
    started = await running(repository, now)
    reaped = started.fail("lease expired", now + LEASE, BACKOFF)
    await repository.record_outcomes([reaped])
    other = await running(repository, now)

    written = await repository.record_outcomes(
        [started.complete({"late": True}, now + LEASE * 2), other.complete(None, now)]
    )

    assert written == {other.id}
    assert await repository.get(started.id) == reaped


async def test_outcome_of_a_superseded_attempt_is_fenced(own_repository):
    now = utc_now()
    first_attempt = await running(own_repository, now)
    await own_repository.record_outcomes([first_attempt.fail("lease expired", now, BACKOFF)])
    await own_repository.promote_due(now + timedelta(minutes=1), 10)
    [second_attempt] = await own_repository.claim([first_attempt.id], now, LEASE, "test-worker")

    written = await own_repository.record_outcomes([first_attempt.complete({"late": True}, now)])

    assert written == set()
    assert second_attempt.attempt == 2
    assert await own_repository.get(first_attempt.id) == second_attempt


async def test_promote_due_queues_only_due_retrying_jobs(own_repository):
    now = utc_now()
    due = await retrying(own_repository, now, timedelta(seconds=5))
    not_due = await retrying(own_repository, now, timedelta(hours=1))
    pending = await inserted(own_repository, now=now)
    started = await running(own_repository, now)
    promoted_at = now + timedelta(seconds=5)

    promoted = await own_repository.promote_due(promoted_at, 100)

    assert [(j.id, j.status, j.updated_at) for j in promoted] == [
        (due.id, JobStatus.QUEUED, promoted_at)
    ]
    assert await own_repository.get(due.id) == promoted[0]
    for untouched in (not_due, pending, started):
        assert await own_repository.get(untouched.id) == untouched


async def test_promote_due_respects_the_limit(own_repository):
    now = utc_now()
    due = {(await retrying(own_repository, now, timedelta(seconds=1))).id for _ in range(5)}
    later = now + timedelta(minutes=1)

    first = await own_repository.promote_due(later, 3)
    rest = await own_repository.promote_due(later, 3)

    assert len(first) == 3
    assert {j.id for j in first} | {j.id for j in rest} == due
    assert await own_repository.promote_due(later, 3) == []


async def test_concurrent_promoters_never_promote_the_same_job(own_repository):
    now = utc_now()
    due = {(await retrying(own_repository, now, timedelta(seconds=1))).id for _ in range(60)}
    later = now + timedelta(minutes=1)

    batches = await asyncio.gather(*(own_repository.promote_due(later, 10) for _ in range(6)))
    for _ in range(6):
        batches.append(await own_repository.promote_due(later, 10))

    promoted: list[UUID] = [job.id for batch in batches for job in batch]
    assert len(promoted) == len(set(promoted))
    assert set(promoted) == due


async def test_ping_answers(repository):
    assert await repository.ping() is None


async def test_a_batch_is_stored_whole_or_not_at_all(repository, pg_pool):
    storable = [submitted(payload={"i": i}) for i in range(5)]
    refused = submitted(payload={"text": "nul \u0000 inside"})

    with pytest.raises(UnstorablePayload):
        await repository.insert_many([*storable, refused])

    ids = [job.id for job in storable]
    assert await pg_pool.fetchval("SELECT count(*) FROM jobs WHERE id = ANY($1)", ids) == 0
