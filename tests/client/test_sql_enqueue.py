"""taskforge_client.sql on real asyncpg and psycopg connections to a migrated database."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import psycopg
import pytest
import pytest_asyncio

from taskforge_client import IdempotencyKeyReused, ValidationFailed
from taskforge_client.sql import enqueue, enqueue_sync


@pytest_asyncio.fixture
async def asyncpg_conn(migrated_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(migrated_database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def psycopg_async_conn(
    migrated_database_url: str,
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(migrated_database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def psycopg_conn(migrated_database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(migrated_database_url) as conn:
        yield conn


async def stored(pg_pool: Any, job_id: UUID) -> Any:
    return await pg_pool.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)


async def test_asyncpg_enqueues_in_the_callers_transaction(
    asyncpg_conn: asyncpg.Connection, pg_pool: Any
) -> None:
    run_at = datetime.now(UTC) + timedelta(minutes=5)
    async with asyncpg_conn.transaction():
        job_id = await enqueue(
            asyncpg_conn,
            "report.build",
            {"order": 42, "tags": ["a"]},
            queue="high",
            max_attempts=3,
            run_at=run_at,
            idempotency_key=f"order-{uuid4()}",
        )
        assert await stored(pg_pool, job_id) is None, "visible before the commit"

    row = await stored(pg_pool, job_id)
    assert type(job_id) is UUID
    assert (row["job_type"], row["payload"], row["queue"], row["max_attempts"]) == (
        "report.build",
        {"order": 42, "tags": ["a"]},
        "high",
        3,
    )
    assert (row["status"], row["run_at"]) == ("scheduled", run_at)


async def test_asyncpg_with_a_json_codec_still_stores_an_object(pg_pool: Any) -> None:
    # Taskforge's own pool encodes jsonb with msgspec: a str parameter would become a string.
    async with pg_pool.acquire() as conn:
        job_id = await enqueue(conn, "ping", {"message": "hello"})

    assert (await stored(pg_pool, job_id))["payload"] == {"message": "hello"}


async def test_asyncpg_rollback_leaves_no_job(
    asyncpg_conn: asyncpg.Connection, pg_pool: Any
) -> None:
    transaction = asyncpg_conn.transaction()
    await transaction.start()
    job_id = await enqueue(asyncpg_conn, "ping")
    await transaction.rollback()

    assert await stored(pg_pool, job_id) is None


async def test_psycopg_async_enqueues_when_the_transaction_commits(
    psycopg_async_conn: psycopg.AsyncConnection[Any], pg_pool: Any
) -> None:
    async with psycopg_async_conn.transaction():
        job_id = await enqueue(psycopg_async_conn, "ping", {"n": 1}, max_attempts=2)

    row = await stored(pg_pool, job_id)
    assert (row["payload"], row["max_attempts"], row["status"]) == ({"n": 1}, 2, "pending")


def test_psycopg_sync_enqueues_on_commit_and_not_on_rollback(
    psycopg_conn: psycopg.Connection[Any],
) -> None:
    with psycopg_conn.transaction():
        kept = enqueue_sync(psycopg_conn, "ping", {"n": 1}, idempotency_key=f"k-{uuid4()}")
    with psycopg_conn.transaction() as failed:
        dropped = enqueue_sync(psycopg_conn, "ping", {"n": 2})
        # The business change failed: the job goes with it.
        raise psycopg.Rollback(failed)

    found = psycopg_conn.execute(
        "SELECT id FROM jobs WHERE id = ANY(%s)", ([kept, dropped],)
    ).fetchall()
    assert found == [(kept,)]


REFUSALS = [
    ({"job_type": "bad type"}, "job_type", "TF001"),
    ({"job_type": "ping", "payload": None, "queue": "nightly"}, "queue", "TF003"),
    ({"job_type": "ping", "max_attempts": 0}, "max_attempts", "TF004"),
    ({"job_type": "ping", "idempotency_key": " spaced"}, "idempotency_key", "TF006"),
]


@pytest.mark.parametrize(("call", "field", "sqlstate"), REFUSALS)
async def test_refusals_are_validation_failed_naming_the_field_on_asyncpg(
    asyncpg_conn: asyncpg.Connection, call: dict[str, Any], field: str, sqlstate: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await enqueue(asyncpg_conn, **call)

    assert [error.key for error in refused.value.errors] == [field]
    assert field in (refused.value.detail or "")
    assert refused.value.__cause__.sqlstate == sqlstate  # type: ignore[union-attr]


@pytest.mark.parametrize(("call", "field", "sqlstate"), REFUSALS)
def test_refusals_are_validation_failed_naming_the_field_on_psycopg(
    psycopg_conn: psycopg.Connection[Any], call: dict[str, Any], field: str, sqlstate: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        enqueue_sync(psycopg_conn, **call)
    psycopg_conn.rollback()

    assert [error.key for error in refused.value.errors] == [field]
    assert refused.value.__cause__.sqlstate == sqlstate  # type: ignore[union-attr]


async def test_a_key_reused_for_another_job_is_idempotency_key_reused_on_both_drivers(
    asyncpg_conn: asyncpg.Connection, psycopg_async_conn: psycopg.AsyncConnection[Any]
) -> None:
    key = f"k-{uuid4()}"
    first = await enqueue(asyncpg_conn, "ping", {"n": 1}, idempotency_key=key)
    await psycopg_async_conn.set_autocommit(True)

    again = await enqueue(psycopg_async_conn, "ping", {"n": 1}, idempotency_key=key)
    with pytest.raises(IdempotencyKeyReused, match=str(first)):
        await enqueue(asyncpg_conn, "ping", {"n": 2}, idempotency_key=key)
    with pytest.raises(IdempotencyKeyReused):
        await enqueue(psycopg_async_conn, "other", {"n": 1}, idempotency_key=key)

    assert again == first


async def test_a_naive_run_at_is_refused_before_any_statement(
    asyncpg_conn: asyncpg.Connection,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await enqueue(asyncpg_conn, "ping", run_at=datetime(2030, 1, 1))

    assert refused.value.errors[0].key == "run_at"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"job_type": "pi\x00ng"}, "job_type"),
        ({"job_type": "ping", "payload": {"text": "a\x00b"}}, "payload"),
        ({"job_type": "ping", "idempotency_key": "k\x00"}, "idempotency_key"),
    ],
)
def test_a_nul_character_is_refused_naming_its_field(
    psycopg_conn: psycopg.Connection[Any], call: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        enqueue_sync(psycopg_conn, **call)

    assert refused.value.errors[0].key == field


def test_a_payload_holding_backslash_u0000_as_text_is_stored(
    psycopg_conn: psycopg.Connection[Any],
) -> None:
    job_id = enqueue_sync(psycopg_conn, "ping", {"text": "\\u0000"})
    psycopg_conn.commit()

    (payload,) = psycopg_conn.execute(
        "SELECT payload FROM jobs WHERE id = %s", (job_id,)
    ).fetchone()
    assert payload == {"text": "\\u0000"}


async def test_a_driver_error_that_is_no_refusal_is_raised_as_it_came(
    asyncpg_conn: asyncpg.Connection,
) -> None:
    transaction = asyncpg_conn.transaction()
    await transaction.start()
    with pytest.raises(asyncpg.DivisionByZeroError):
        await asyncpg_conn.execute("SELECT 1 / 0")

    with pytest.raises(asyncpg.InFailedSQLTransactionError) as raised:
        await enqueue(asyncpg_conn, "ping")
    await transaction.rollback()

    assert raised.value.__cause__ is None
