"""taskforge_enqueue() (migration 010) on a real PostgreSQL: what it stores, what it
refuses and with which SQLSTATE, and that only a committed transaction leaves a job."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio

from taskforge_adapters.postgres.migrations import open_migrator
from taskforge_adapters.postgres.pg_enqueue_relay import PgEnqueuedJobs
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_app.ports import EnqueueRules
from taskforge_domain.job import Job
from tests.conftest import MIGRATIONS_URL, Services

ENQUEUE = "SELECT taskforge_enqueue($1, $2, $3, $4, $5, $6)"


@pytest_asyncio.fixture
async def own_pool(own_migrated_database_url: str) -> AsyncIterator[Any]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


async def enqueue(
    db: Any,
    job_type: Any = "ping",
    payload: Any = None,
    queue: Any = "normal",
    max_attempts: Any = None,
    run_at: Any = None,
    idempotency_key: Any = None,
) -> UUID:
    payload = {} if payload is None else payload
    result: UUID = await db.fetchval(
        ENQUEUE, job_type, payload, queue, max_attempts, run_at, idempotency_key
    )
    return result


async def test_a_job_enqueued_in_sql_is_pending_with_the_defaults_and_waits_for_the_relay(
    own_pool: Any,
) -> None:
    job_id = await own_pool.fetchval("SELECT taskforge_enqueue('ping')")

    row = await own_pool.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    assert (row["job_type"], row["payload"], row["status"], row["queue"]) == (
        "ping",
        {},
        "pending",
        "normal",
    )
    assert (row["attempt"], row["max_attempts"], row["idempotency_key"]) == (0, 5, None)
    assert row["run_at"] == row["created_at"] == row["updated_at"]
    assert await own_pool.fetch("SELECT job_id FROM job_enqueue_relay") == [(job_id,)]
    listed = await own_pool.fetchval("SELECT count(*) FROM job_listing_keys WHERE id = $1", job_id)
    assert listed == 1


async def test_named_arguments_set_every_field(own_pool: Any) -> None:
    job_id = await own_pool.fetchval(
        "SELECT taskforge_enqueue(job_type => 'report.build', payload => '{\"n\": 1}',"
        " queue => 'high', max_attempts => 7, idempotency_key => 'order-1')"
    )

    row = await own_pool.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    assert (row["job_type"], row["payload"], row["queue"], row["max_attempts"]) == (
        "report.build",
        {"n": 1},
        "high",
        7,
    )
    assert row["idempotency_key"] == "order-1"


async def test_a_future_run_at_makes_a_scheduled_job_the_relay_never_takes(own_pool: Any) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)

    job_id = await enqueue(own_pool, run_at=later)

    row = await own_pool.fetchrow("SELECT status, run_at FROM jobs WHERE id = $1", job_id)
    assert (row["status"], row["run_at"]) == ("scheduled", later)
    assert await own_pool.fetchval("SELECT count(*) FROM job_enqueue_relay") == 0


async def test_a_run_at_in_the_year_9999_is_accepted_and_read_back(own_pool: Any) -> None:
    job_id = await enqueue(own_pool, run_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))

    assert (await PgJobRepository(own_pool).get(job_id)).run_at.year == 9999  # type: ignore[union-attr]


async def test_a_past_run_at_is_pending_now(own_pool: Any) -> None:
    before = datetime.now(UTC)

    job_id = await enqueue(own_pool, run_at=before - timedelta(days=1))

    row = await own_pool.fetchrow("SELECT status, run_at FROM jobs WHERE id = $1", job_id)
    assert row["status"] == "pending"
    assert row["run_at"] >= before


REFUSED = [
    ({"job_type": ""}, "TF001", "job_type"),
    ({"job_type": None}, "TF001", "job_type"),
    ({"job_type": "-starts-with-a-dash"}, "TF001", "job_type"),
    ({"job_type": "has space"}, "TF001", "job_type"),
    ({"job_type": "ping\n"}, "TF001", "job_type"),
    ({"job_type": "x" * 101}, "TF001", "job_type"),
    ({"payload": [1, 2]}, "TF002", "payload"),
    ({"payload": "text"}, "TF002", "payload"),
    ({"payload": 3}, "TF002", "payload"),
    ({"queue": "nightly"}, "TF003", "queue"),
    ({"queue": None}, "TF003", "queue"),
    ({"queue": "NORMAL"}, "TF003", "queue"),
    ({"max_attempts": 0}, "TF004", "max_attempts"),
    ({"max_attempts": 101}, "TF004", "max_attempts"),
    ({"max_attempts": -1}, "TF004", "max_attempts"),
    ({"run_at": "infinity"}, "TF005", "run_at"),
    ({"run_at": "10000-01-01 00:00:00+00"}, "TF005", "run_at"),
    ({"idempotency_key": ""}, "TF006", "idempotency_key"),
    ({"idempotency_key": " leading-space"}, "TF006", "idempotency_key"),
    ({"idempotency_key": "trailing-space "}, "TF006", "idempotency_key"),
    ({"idempotency_key": "é-not-ascii"}, "TF006", "idempotency_key"),
    ({"idempotency_key": "k" * 256}, "TF006", "idempotency_key"),
]


@pytest.mark.parametrize(("fields", "sqlstate", "field"), REFUSED)
async def test_each_rule_refuses_with_its_own_sqlstate_naming_the_field(
    pg_pool: Any, fields: dict[str, Any], sqlstate: str, field: str
) -> None:
    if isinstance(fields.get("run_at"), str):
        call = "SELECT taskforge_enqueue('ping', run_at => $1::text::timestamptz)"
        with pytest.raises(asyncpg.PostgresError) as refused:
            await pg_pool.fetchval(call, fields["run_at"])
    else:
        with pytest.raises(asyncpg.PostgresError) as refused:
            await enqueue(pg_pool, **fields)

    assert refused.value.sqlstate == sqlstate
    assert refused.value.column_name == field
    assert field in str(refused.value)


async def test_a_null_payload_is_refused_as_not_an_object(pg_pool: Any) -> None:
    with pytest.raises(asyncpg.PostgresError) as refused:
        await pg_pool.fetchval("SELECT taskforge_enqueue('ping', NULL)")

    assert (refused.value.sqlstate, refused.value.column_name) == ("TF002", "payload")


async def test_a_payload_over_the_size_limit_is_refused(own_pool: Any) -> None:
    await PgEnqueuedJobs(own_pool).write_rules(EnqueueRules(("normal",), 5, 1000))

    await enqueue(own_pool, payload={"text": "x" * 900})
    with pytest.raises(asyncpg.PostgresError) as refused:
        await enqueue(own_pool, payload={"text": "x" * 1000})

    assert (refused.value.sqlstate, refused.value.column_name) == ("TF007", "payload")


async def test_the_rules_written_by_the_service_decide_queues_and_default_attempts(
    own_pool: Any,
) -> None:
    await PgEnqueuedJobs(own_pool).write_rules(EnqueueRules(("normal", "nightly"), 9, 1 << 20))

    job_id = await enqueue(own_pool, queue="nightly")
    with pytest.raises(asyncpg.PostgresError) as refused:
        await enqueue(own_pool, queue="high")

    assert await own_pool.fetchval("SELECT max_attempts FROM jobs WHERE id = $1", job_id) == 9
    assert refused.value.sqlstate == "TF003"
    assert "normal, nightly" in str(refused.value)


async def test_a_nul_character_never_reaches_the_store(pg_pool: Any) -> None:
    with pytest.raises(asyncpg.PostgresError) as refused:
        await pg_pool.fetchval("SELECT taskforge_enqueue('ping', '{\"a\": \"\\u0000\"}')")

    assert refused.value.sqlstate == "22P05"


async def test_the_same_key_and_request_returns_the_first_job(own_pool: Any) -> None:
    key = f"key-{uuid4()}"
    first = await enqueue(own_pool, payload={"n": 1}, idempotency_key=key)

    again = await enqueue(own_pool, payload={"n": 1.0}, idempotency_key=key, max_attempts=5)

    assert again == first
    assert await own_pool.fetchval("SELECT count(*) FROM jobs") == 1
    assert await own_pool.fetchval("SELECT count(*) FROM job_enqueue_relay") == 1


@pytest.mark.parametrize(
    "other",
    [
        {"payload": {"n": 2}},
        {"payload": {"n": True}},
        {"job_type": "other"},
        {"max_attempts": 3},
    ],
)
async def test_the_same_key_with_another_request_is_refused(
    own_pool: Any, other: dict[str, Any]
) -> None:
    key = f"key-{uuid4()}"
    first = await enqueue(own_pool, payload={"n": 1}, idempotency_key=key)

    with pytest.raises(asyncpg.PostgresError) as refused:
        await enqueue(own_pool, **{"payload": {"n": 1}, "idempotency_key": key, **other})

    assert (refused.value.sqlstate, refused.value.column_name) == ("TF009", "idempotency_key")
    assert str(first) in str(refused.value)


async def test_a_key_the_api_used_answers_with_the_apis_job(own_pool: Any) -> None:
    key = f"key-{uuid4()}"
    now = datetime.now(UTC)
    api_job = Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={"a": [1, 2]},
        max_attempts=5,
        now=now,
        idempotency_key=key,
    )
    await PgJobRepository(own_pool).insert_many([api_job])

    assert await enqueue(own_pool, payload={"a": [1, 2]}, idempotency_key=key) == api_job.id
    # The API publishes its own jobs: none of them waits for the relay.
    assert await own_pool.fetchval("SELECT count(*) FROM job_enqueue_relay") == 0


async def test_concurrent_transactions_with_one_key_make_one_job(own_pool: Any) -> None:
    key = f"key-{uuid4()}"
    async with own_pool.acquire() as first, own_pool.acquire() as second:
        first_tx = first.transaction()
        await first_tx.start()
        first_id = await enqueue(first, idempotency_key=key)
        # The second waits on the first's uncommitted key, then sees its job.
        waiting = enqueue(second, idempotency_key=key)
        second_call = asyncio.ensure_future(waiting)
        await asyncio.sleep(0.1)
        assert not second_call.done()
        await first_tx.commit()
        assert await second_call == first_id

    assert await own_pool.fetchval("SELECT count(*) FROM jobs") == 1


async def test_a_rolled_back_transaction_leaves_no_job_and_no_relay_entry(own_pool: Any) -> None:
    async with own_pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await enqueue(conn)
        await enqueue(conn, idempotency_key="rolled-back")
        await transaction.rollback()

    assert await own_pool.fetchval("SELECT count(*) FROM jobs") == 0
    assert await own_pool.fetchval("SELECT count(*) FROM job_enqueue_relay") == 0
    # Its key was never taken.
    assert await enqueue(own_pool, idempotency_key="rolled-back")


async def test_migrating_010_down_removes_the_function(test_services: Services) -> None:
    url = await test_services.create_database()
    conn, migrator = await open_migrator(url, MIGRATIONS_URL)
    signature = "taskforge_enqueue(text,jsonb,text,integer,timestamptz,text)"
    try:
        await migrator.up()
        assert await conn.fetchval("SELECT to_regprocedure($1)::text", signature) is not None
        while (await conn.fetchval("SELECT max(version) FROM schema_migrations")) >= 10:
            await migrator.down(1)

        assert await conn.fetchval("SELECT to_regprocedure($1)", signature) is None
    finally:
        await conn.close()


async def test_ids_are_time_ordered_uuid7s(pg_pool: Any) -> None:
    before = datetime.now(UTC)

    first = await enqueue(pg_pool)
    await asyncio.sleep(0.002)
    second = await enqueue(pg_pool)

    assert (first.version, second.version) == (7, 7)
    assert first < second
    milliseconds = int.from_bytes(first.bytes[:6], "big")
    made_at = datetime.fromtimestamp(milliseconds / 1000, UTC)
    assert before - timedelta(seconds=1) <= made_at <= datetime.now(UTC)
