"""The contract flows with PostgreSQL behind PgBouncer in transaction pooling mode: the
pools go through it, LISTEN and the migrations go to PostgreSQL directly."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES, MAX_ATTEMPTS
from tests.e2e.processes import Stack, running_stack, stack_environment, wait_for_status
from tests.e2e.test_job_flows import dead_letters
from tests.pgbouncer import PgBouncer


@pytest.fixture(scope="module")
def bouncer(test_services: Services) -> Iterator[PgBouncer]:
    user = urlsplit(test_services.admin_url).username or "postgres"
    pgbouncer = PgBouncer(test_services.admin_url, users=[user])
    yield pgbouncer
    pgbouncer.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def bounced_env(test_services: Services, bouncer: PgBouncer) -> dict[str, str]:
    env = await stack_environment(test_services, "pgbouncer-worker", FAST_RETRIES)
    return {
        **env,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": str(bouncer.port),
        "POSTGRES_DIRECT_HOST": env["POSTGRES_HOST"],
        "POSTGRES_DIRECT_PORT": env["POSTGRES_PORT"],
    }


@pytest.fixture(scope="module")
def bounced(bounced_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(bounced_env) as running:
        yield running
    assert "prepared statement" not in running.logs, running.logs


@pytest_asyncio.fixture
async def client(bounced: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=bounced.base_url, timeout=10) as http:
        yield http


async def submit(client: httpx.AsyncClient, body: dict[str, object], **headers: str) -> str:
    response = await client.post("/v1/jobs", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_a_ping_job_completes_and_a_long_poll_hears_it_at_once(
    client: httpx.AsyncClient, bounced: Stack
) -> None:
    job_id = await submit(client, {"job_type": "wait", "payload": {"seconds": 0.3}})

    started = time.monotonic()
    response = await client.get(f"/v1/jobs/{job_id}", params={"wait": "30"}, timeout=40)
    took = time.monotonic() - started

    assert response.json()["status"] == "completed", bounced.logs
    assert response.json()["attempt"] == 1
    # Only a notice heard on the direct LISTEN connection wakes the wait this early.
    assert took < 5, took


async def test_a_failing_job_retries_then_dies_with_its_dead_letter(
    client: httpx.AsyncClient, bounced: Stack, redis_client: aioredis.Redis
) -> None:
    job_id = await submit(client, {"job_type": "ping", "payload": {"fail": True}})

    dead = await wait_for_status(client, job_id)

    assert (dead["status"], dead["attempt"]) == ("dead", MAX_ATTEMPTS), bounced.logs
    # The retries may all pass between two polls: the attempt history shows them.
    attempts = (await client.get(f"/v1/jobs/{job_id}/attempts")).json()
    assert [a["outcome"] for a in attempts] == ["retrying"] * (MAX_ATTEMPTS - 1) + ["dead"]
    assert len(await dead_letters(redis_client, bounced, job_id)) == 1


async def test_a_terminal_error_is_dead_at_the_first_attempt(client: httpx.AsyncClient) -> None:
    job_id = await submit(client, {"job_type": "dead"})

    dead = await wait_for_status(client, job_id)

    assert (dead["status"], dead["attempt"]) == ("dead", 1)


async def test_a_running_job_is_cancelled(client: httpx.AsyncClient) -> None:
    job_id = await submit(client, {"job_type": "wait", "payload": {"seconds": 60}})
    await wait_for_status(client, job_id, frozenset({"running"}))

    requested = await client.post(f"/v1/jobs/{job_id}/cancel")
    done = await wait_for_status(client, job_id, frozenset({"cancelled", "completed"}))

    assert requested.status_code == 200
    assert done["status"] == "cancelled"


async def test_a_dead_job_replayed_runs_its_new_attempts(client: httpx.AsyncClient) -> None:
    job_id = await submit(client, {"job_type": "fail", "max_attempts": 1})
    await wait_for_status(client, job_id)

    replayed = await client.post(f"/v1/jobs/{job_id}/replay", params={"attempts": 2})
    dead_again = await wait_for_status(client, job_id)

    assert replayed.status_code == 200
    assert (dead_again["status"], dead_again["attempt"]) == ("dead", 3)
    history = (await client.get(f"/v1/jobs/{job_id}/attempts")).json()
    assert [attempt["attempt"] for attempt in history] == [1, 2, 3]


async def test_concurrent_submits_with_one_key_make_one_job(client: httpx.AsyncClient) -> None:
    key = f"key-{uuid.uuid4()}"
    body = {"job_type": "ping", "payload": {"message": "storm"}}

    responses = await asyncio.gather(
        *(client.post("/v1/jobs", json=body, headers={"Idempotency-Key": key}) for _ in range(20))
    )

    assert sorted(response.status_code for response in responses) == [200] * 19 + [202]
    assert len({response.json()["id"] for response in responses}) == 1


async def test_a_hundred_jobs_complete_and_every_statement_went_through_pgbouncer(
    client: httpx.AsyncClient, bounced: Stack, bouncer: PgBouncer
) -> None:
    database = bounced.env["POSTGRES_DB"]
    before = bouncer.transactions(database)
    ids = await asyncio.gather(*(submit(client, {"job_type": "ping"}) for _ in range(100)))

    done = [await wait_for_status(client, job_id) for job_id in ids]

    assert {job["status"] for job in done} == {"completed"}, bounced.logs
    # Each job is at least its insert, its queued mark, its claim and its outcome.
    await bouncer.wait_for_transactions(database, at_least=before + 4 * 100)
