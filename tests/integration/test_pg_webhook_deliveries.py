"""The webhook delivery rows: written by the trigger in the terminal write's own
transaction, claimed by one scheduler at a time, and recorded with their attempts."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest_asyncio

from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_webhook_deliveries import PgWebhookDeliveries
from taskforge_domain.webhook_delivery import DeliveryState, WebhookAttempt

HOOK = "http://127.0.0.1:9/hook"


@pytest_asyncio.fixture
async def pool(own_migrated_database_url: str) -> AsyncIterator[Any]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


async def a_running_job(conn: Any, callback_url: str | None = HOOK) -> UUID:
    job_id = uuid4()
    await conn.execute(
        """INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts, callback_url)
           VALUES ($1, 'ping', '{}', 'running', 1, 3, $2)""",
        job_id,
        callback_url,
    )
    return job_id


async def deliveries_of(conn: Any, job_id: UUID) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT job_status, url FROM webhook_deliveries WHERE job_id = $1 ORDER BY id", job_id
    )
    return [(row["job_status"], row["url"]) for row in rows]


async def test_a_terminal_write_records_its_delivery_in_its_own_transaction(pool: Any) -> None:
    async with pool.acquire() as conn:
        job_id = await a_running_job(conn)

        tx = conn.transaction()
        await tx.start()
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)
        seen_inside = await deliveries_of(conn, job_id)
        await tx.rollback()

        assert seen_inside == [("completed", HOOK)]
        assert await deliveries_of(conn, job_id) == []


async def test_only_a_change_to_a_terminal_status_of_a_job_with_a_callback_is_recorded(
    pool: Any,
) -> None:
    async with pool.acquire() as conn:
        with_hook = await a_running_job(conn)
        without_hook = await a_running_job(conn, callback_url=None)

        await conn.execute("UPDATE jobs SET status = 'retrying' WHERE id = $1", with_hook)
        await conn.execute("UPDATE jobs SET status = 'dead' WHERE id = $1", with_hook)
        await conn.execute("UPDATE jobs SET last_error = 'again' WHERE id = $1", with_hook)
        await conn.execute("UPDATE jobs SET status = 'dead' WHERE id = $1", with_hook)
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", without_hook)

        assert await deliveries_of(conn, with_hook) == [("dead", HOOK)]
        assert await conn.fetchval("SELECT count(*) FROM webhook_deliveries") == 1


async def test_deleting_a_job_deletes_its_deliveries(pool: Any) -> None:
    async with pool.acquire() as conn:
        job_id = await a_running_job(conn)
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)

        await conn.execute("DELETE FROM jobs WHERE id = $1", job_id)

        assert await deliveries_of(conn, job_id) == []


async def test_concurrent_claims_never_take_the_same_delivery(pool: Any) -> None:
    async with pool.acquire() as conn:
        for _ in range(40):
            job_id = await a_running_job(conn)
            await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)
    store = PgWebhookDeliveries(pool)

    claims = await asyncio.gather(*(store.claim_due(10, timedelta(minutes=1)) for _ in range(4)))
    again = await store.claim_due(10, timedelta(minutes=1))

    ids = [delivery.id for claim in claims for delivery in claim]
    assert len(ids) == len(set(ids)) == 40
    assert again == []


async def test_an_attempt_is_recorded_once_and_only_by_its_claimer(pool: Any) -> None:
    async with pool.acquire() as conn:
        job_id = await a_running_job(conn)
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)
    store = PgWebhookDeliveries(pool)
    [claimed] = await store.claim_due(10, timedelta(0))
    [overtaken_by] = await store.claim_due(10, timedelta(minutes=1))
    failed = WebhookAttempt(1, datetime.now(UTC), timedelta(milliseconds=3), http_status=500)
    ok = WebhookAttempt(2, datetime.now(UTC), timedelta(milliseconds=2), http_status=204)

    stale = await store.record_attempt(claimed, failed, DeliveryState.PENDING, timedelta(0))
    current = await store.record_attempt(overtaken_by, ok, DeliveryState.DELIVERED, None)

    assert (stale, current) == (False, True)
    [history] = await store.of_job(job_id)
    assert history.delivery.state is DeliveryState.DELIVERED
    assert [(a.attempt, a.http_status) for a in history.attempts] == [(2, 204)]


async def test_a_failed_delivery_becomes_a_dead_letter_until_marked(pool: Any) -> None:
    async with pool.acquire() as conn:
        job_id = await a_running_job(conn)
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)
    store = PgWebhookDeliveries(pool)
    [claimed] = await store.claim_due(10, timedelta(minutes=1))
    refused = WebhookAttempt(1, datetime.now(UTC), timedelta(0), error="timed out")
    await store.record_attempt(claimed, refused, DeliveryState.FAILED, None)

    [letter] = await store.failed_letters(10)
    await store.mark_dead_lettered([claimed.id])

    assert (letter.job_id, letter.job_type, letter.webhook_delivery) == (job_id, "ping", claimed.id)
    assert letter.last_error == f"webhook delivery {claimed.id} failed after 1 attempts: timed out"
    assert await store.failed_letters(10) == []


async def test_the_delivery_times_are_the_databases(pool: Any) -> None:
    async with pool.acquire() as conn:
        job_id = await a_running_job(conn)
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)
        db_now: datetime = await conn.fetchval("SELECT now()")
    store = PgWebhookDeliveries(pool)

    [claimed] = await store.claim_due(10, timedelta(minutes=5))

    assert claimed.attempts == 1
    assert claimed.next_attempt_at - db_now > timedelta(minutes=4)


async def test_a_failed_delivery_is_redelivered_once_as_a_new_pending_one(pool: Any) -> None:
    async with pool.acquire() as conn:
        job_id = await a_running_job(conn)
        await conn.execute("UPDATE jobs SET status = 'completed' WHERE id = $1", job_id)
    store = PgWebhookDeliveries(pool)
    [claimed] = await store.claim_due(10, timedelta(minutes=1))
    refused = WebhookAttempt(1, datetime.now(UTC), timedelta(0), error="timed out")
    await store.record_attempt(claimed, refused, DeliveryState.FAILED, None)

    first, second = await store.redeliver_failed(job_id), await store.redeliver_failed(job_id)

    assert (first, second) == (1, 0)
    states = [(h.delivery.state, h.delivery.attempts) for h in await store.of_job(job_id)]
    assert states == [(DeliveryState.FAILED, 1), (DeliveryState.PENDING, 0)]
