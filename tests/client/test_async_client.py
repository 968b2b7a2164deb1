"""AsyncClient against a real API and worker: the same calls as Client, awaited."""

import asyncio
import uuid

import pytest

from taskforge_client import (
    AsyncClient,
    Conflict,
    IdempotencyKeyReused,
    JobNotFound,
    NewJob,
    ValidationFailed,
)
from tests.client.job_polling import apoll_until


async def test_submit_get_and_completion(api_url: str) -> None:
    async with AsyncClient(api_url) as client:
        job = await client.submit("add", {"numbers": [2, 3]})
        fetched = await client.get(str(job.id))
        done = await apoll_until(client, job.id, {"completed", "dead"})

    assert fetched.id == job.id
    assert job.idempotency_key is not None
    assert (done.status, done.result) == ("completed", {"sum": 5})


async def test_concurrent_submits_share_one_client(api_url: str) -> None:
    async with AsyncClient(api_url) as client:
        jobs = await asyncio.gather(*(client.submit("add", {"numbers": [n]}) for n in range(50)))

    assert len({job.id for job in jobs}) == 50


async def test_typed_errors(api_url: str) -> None:
    key = f"async-{uuid.uuid4()}"
    async with AsyncClient(api_url) as client:
        await client.submit("add", {"numbers": [1]}, idempotency_key=key)
        with pytest.raises(IdempotencyKeyReused):
            await client.submit("add", {"numbers": [2]}, idempotency_key=key)
        with pytest.raises(ValidationFailed) as invalid:
            await client.submit("not a job type")
        with pytest.raises(JobNotFound):
            await client.cancel(uuid.uuid4())

    assert [error.key for error in invalid.value.errors] == ["job_type"]


async def test_cancel_replay_and_their_conflicts(api_url: str) -> None:
    async with AsyncClient(api_url) as client:
        waiting = await client.submit("add", {"numbers": [1]}, delay=3600)
        cancelled = await client.cancel(waiting.id)
        with pytest.raises(Conflict):
            await client.replay(waiting.id)
        doomed = await client.submit("dead")
        await apoll_until(client, doomed.id, {"dead"})
        replayed = await client.replay(doomed.id)

    assert cancelled.status == "cancelled"
    assert replayed.replays == 1
    assert replayed.status in {"queued", "running", "dead"}


async def test_list_and_submit_many(api_url: str) -> None:
    job_type = f"apage_{uuid.uuid4().hex[:8]}"
    async with AsyncClient(api_url) as client:
        results = await client.submit_many(
            NewJob(job_type=job_type, payload={"n": n}, delay=3600) for n in range(1_005)
        )
        listed = [job async for job in client.list(job_type=job_type, page_size=200)]

    assert [result.status for result in results] == [202] * 1_005
    assert {job.id for job in listed} == {result.job.id for result in results if result.job}
    assert len(listed) == 1_005
    assert all(job.status == "scheduled" for job in listed)
