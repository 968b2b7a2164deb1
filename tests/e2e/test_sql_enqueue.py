"""Jobs enqueued with taskforge_enqueue() inside a user's transaction, run by real api and
worker processes (the worker's scheduler relays them)."""

from urllib.parse import quote

import asyncpg
import httpx

from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import MAX_ATTEMPTS, Stack
from tests.e2e.processes import wait_for_status


def database_url(stack: Stack) -> str:
    env = stack.env
    user = quote(env["POSTGRES_USER"])
    password = f":{quote(env['POSTGRES_PASSWORD'])}" if env["POSTGRES_PASSWORD"] else ""
    host = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
    return f"postgresql://{user}{password}@{host}/{env['POSTGRES_DB']}"


async def test_a_job_enqueued_in_a_committed_transaction_runs_to_completion(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    conn = await asyncpg.connect(database_url(stack))
    try:
        async with conn.transaction():
            await conn.execute("CREATE TEMP TABLE orders (id int)")
            await conn.execute("INSERT INTO orders VALUES (1)")
            job_id = await conn.fetchval("SELECT taskforge_enqueue('add', '{\"numbers\": [2, 3]}')")
    finally:
        await conn.close()

    job = await wait_for_status(client, str(job_id))

    assert job["status"] == "completed"
    assert job["result"] == {"sum": 5}
    assert job["attempt"] == 1
    # The relay wrote the service's SERVICE_MAX_ATTEMPTS as the function's default.
    assert job["max_attempts"] == MAX_ATTEMPTS


async def test_a_rolled_back_transaction_leaves_no_job(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    conn = await asyncpg.connect(database_url(stack))
    try:
        transaction = conn.transaction()
        await transaction.start()
        rolled_back = await conn.fetchval(
            "SELECT taskforge_enqueue('add', '{\"numbers\": [1, 1]}')"
        )
        await transaction.rollback()
        # A later commit, relayed and run: the relay has looked since the rollback.
        committed = await conn.fetchval("SELECT taskforge_enqueue('add', '{\"numbers\": [1, 2]}')")
    finally:
        await conn.close()

    assert (await wait_for_status(client, str(committed)))["status"] == "completed"
    assert (await client.get(f"/v1/jobs/{rolled_back}")).status_code == 404


async def test_a_job_enqueued_for_later_runs_when_due(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    conn = await asyncpg.connect(database_url(stack))
    try:
        job_id = await conn.fetchval(
            "SELECT taskforge_enqueue('add', '{\"numbers\": [4, 4]}',"
            " run_at => now() + interval '300 milliseconds')"
        )
    finally:
        await conn.close()

    assert (await client.get(f"/v1/jobs/{job_id}")).json()["status"] == "scheduled"
    job = await wait_for_status(client, str(job_id))
    assert (job["status"], job["result"]) == ("completed", {"sum": 8})


def readme_psql_example() -> str:
    section = (
        (PROJECT_ROOT / "README.md").read_text().split("## Enqueue inside your transaction\n", 1)[1]
    )
    return section.split("```sql\n-- psql\n", 1)[1].split("```", 1)[0]


async def test_the_readmes_psql_example_enqueues_its_job_at_commit(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    conn = await asyncpg.connect(database_url(stack))
    try:
        await conn.execute("CREATE TEMP TABLE orders (id int PRIMARY KEY, total numeric)")
        await conn.execute(readme_psql_example())
        job_id = await conn.fetchval("SELECT id FROM jobs WHERE idempotency_key = 'receipt-42'")
    finally:
        await conn.close()

    # No handler serves receipt.mail in this stack: the job ends dead, having been relayed.
    job = await wait_for_status(client, str(job_id))
    assert (job["job_type"], job["payload"], job["status"]) == (
        "receipt.mail",
        {"order": 42},
        "dead",
    )
