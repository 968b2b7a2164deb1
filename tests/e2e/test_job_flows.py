"""The README's curl flows, driven over HTTP against real api and worker processes."""

import asyncio
import re
import uuid

import httpx
import redis.asyncio as aioredis

from tests.e2e.conftest import MAX_ATTEMPTS, Stack
from tests.e2e.processes import wait_for_status

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def submit(
    client: httpx.AsyncClient, body: dict[str, object], **headers: str
) -> httpx.Response:
    return await client.post("/v1/jobs", json=body, headers=headers)


async def dead_letters(
    redis: aioredis.Redis, stack: Stack, job_id: str, within: float = 10.0
) -> list[dict[str, str]]:
    """The job's dead letters, once one has arrived: the store records a job dead before
    its letter goes on the stream, so a test that saw it dead may still have to wait."""
    stream = stack.env["REDIS_STREAM_DLQ"]
    deadline = asyncio.get_running_loop().time() + within
    seen: list[dict[str, str]] = []
    last = "0-0"
    while True:
        left_ms = int((deadline - asyncio.get_running_loop().time()) * 1000)
        if left_ms <= 0:
            return [entry for entry in seen if entry["job_id"] == job_id]
        answer = await redis.xread({stream: last}, block=left_ms)
        for _, entries in answer:
            for entry_id, fields in entries:
                last = entry_id
                seen.append({k.decode(): v.decode() for k, v in fields.items()})
        ours = [entry for entry in seen if entry["job_id"] == job_id]
        if ours:
            return ours


async def test_ping_job_is_accepted_then_completed(client: httpx.AsyncClient, stack: Stack) -> None:
    response = await submit(client, {"job_type": "ping", "payload": {"message": "hello"}})

    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"{stack.base_url}/v1/jobs/{job['id']}"
    assert job["links"]["self"] == response.headers["location"]
    assert job["status"] in {"pending", "queued", "running", "completed"}
    assert job["attempt"] == 0
    assert job["max_attempts"] == MAX_ATTEMPTS
    for field in ("run_at", "created_at", "updated_at"):
        assert RFC3339_UTC.match(job[field]), job[field]

    done = await wait_for_status(client, job["id"])
    assert done["status"] == "completed", stack.logs
    assert done["attempt"] == 1
    assert done["result"] == {"message": "hello"}
    assert done["last_error"] is None


async def test_failing_ping_retries_then_dies_after_max_attempts(
    client: httpx.AsyncClient, stack: Stack, redis_client: aioredis.Redis
) -> None:
    job = (await submit(client, {"job_type": "ping", "payload": {"fail": True}})).json()

    dead = await wait_for_status(client, job["id"])
    assert dead["status"] == "dead"
    assert dead["attempt"] == MAX_ATTEMPTS
    # The retries may all pass between two polls: the attempt history shows them.
    attempts = (await client.get(f"/v1/jobs/{job['id']}/attempts")).json()
    assert [a["outcome"] for a in attempts] == ["retrying"] * (MAX_ATTEMPTS - 1) + ["dead"]
    assert all("ping was asked to fail" in str(a["error"]) for a in attempts)
    assert len(await dead_letters(redis_client, stack, job["id"])) == 1


async def test_fail_job_ends_dead_with_one_complete_dead_letter(
    client: httpx.AsyncClient, stack: Stack, redis_client: aioredis.Redis
) -> None:
    job = (await submit(client, {"job_type": "fail"})).json()

    dead = await wait_for_status(client, job["id"])

    assert dead["status"] == "dead"
    assert dead["attempt"] == MAX_ATTEMPTS
    [letter] = await dead_letters(redis_client, stack, job["id"])
    assert set(letter) == {"job_id", "job_type", "attempt", "last_error", "dead_at"}
    assert letter["job_type"] == "fail"
    assert letter["attempt"] == str(MAX_ATTEMPTS)
    assert letter["last_error"] == dead["last_error"]
    assert RFC3339_UTC.match(letter["dead_at"])


async def test_dead_job_dies_at_first_attempt_without_retry(
    client: httpx.AsyncClient, stack: Stack, redis_client: aioredis.Redis
) -> None:
    job = (await submit(client, {"job_type": "dead"})).json()

    dead = await wait_for_status(client, job["id"])

    assert dead["status"] == "dead"
    assert dead["attempt"] == 1
    assert "TerminalError" in str(dead["last_error"])
    assert len(await dead_letters(redis_client, stack, job["id"])) == 1


async def test_unknown_job_type_goes_dead_naming_the_type(
    client: httpx.AsyncClient, stack: Stack, redis_client: aioredis.Redis
) -> None:
    job = (await submit(client, {"job_type": "no_such_type"})).json()

    dead = await wait_for_status(client, job["id"])

    assert dead["status"] == "dead"
    assert dead["attempt"] == 1
    assert "unknown job_type 'no_such_type'" in str(dead["last_error"])
    assert len(await dead_letters(redis_client, stack, job["id"])) == 1


async def test_user_job_type_from_handler_module_runs(client: httpx.AsyncClient) -> None:
    job = (await submit(client, {"job_type": "add", "payload": {"numbers": [1, 2, 39]}})).json()

    done = await wait_for_status(client, job["id"])

    assert done["status"] == "completed"
    assert done["result"] == {"sum": 42}


async def test_same_idempotency_key_replays_the_first_job(client: httpx.AsyncClient) -> None:
    key = f"key-{uuid.uuid4()}"
    body = {"job_type": "ping", "payload": {"message": "once"}}

    first = await submit(client, body, **{"Idempotency-Key": key})
    again = await submit(client, body, **{"Idempotency-Key": key})

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["idempotency_key"] == key


async def test_reused_key_with_another_payload_is_refused(client: httpx.AsyncClient) -> None:
    key = f"key-{uuid.uuid4()}"
    first = await submit(
        client, {"job_type": "ping", "payload": {"n": 1}}, **{"Idempotency-Key": key}
    )

    reused = await submit(
        client, {"job_type": "ping", "payload": {"n": 2}}, **{"Idempotency-Key": key}
    )

    assert reused.status_code == 422
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["code"] == "idempotency-key-reused"
    # The detail names the key, never the other job, whose queue the caller may not see.
    assert first.json()["id"] not in reused.json()["detail"]
    assert "was already used for another job" in reused.json()["detail"]


async def test_twenty_concurrent_submits_with_one_key_create_one_job(
    client: httpx.AsyncClient,
) -> None:
    key = f"key-{uuid.uuid4()}"
    body = {"job_type": "ping", "payload": {"message": "storm"}}

    responses = await asyncio.gather(
        *(submit(client, body, **{"Idempotency-Key": key}) for _ in range(20))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 19 + [202]
    assert len({response.json()["id"] for response in responses}) == 1
