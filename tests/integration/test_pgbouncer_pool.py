"""The job store's pool behind PgBouncer in transaction pooling mode."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg
import pytest
import pytest_asyncio

from taskforge_adapters.postgres.migrations import discover, migrations_dir
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_domain.job import Job
from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import load_settings
from tests.conftest import MIGRATIONS_URL, Services
from tests.pgbouncer import PgBouncer

LEASE = timedelta(seconds=30)
CLIENTS = 24


@pytest.fixture
def bouncer(test_services: Services) -> Iterator[PgBouncer]:
    user = urlsplit(test_services.admin_url).username or "postgres"
    pgbouncer = PgBouncer(test_services.admin_url, users=[user])
    yield pgbouncer
    pgbouncer.stop()


@pytest_asyncio.fixture
async def pooled_url(bouncer: PgBouncer, own_migrated_database_url: str) -> str:
    return bouncer.url(own_migrated_database_url)


async def one_job_through_its_life(repository: PgJobRepository) -> Job:
    now = datetime.now(UTC)
    job = Job.submit(job_id=uuid4(), job_type="echo", payload={"n": 1}, max_attempts=3, now=now)
    await repository.insert_many([job])
    await repository.mark_queued([job.id], now)
    [running] = await repository.claim([job.id], now, LEASE, "worker-1")
    await repository.record_outcomes([running.complete({"ok": True}, now)])
    found = await repository.get(job.id)
    assert found is not None
    return found


async def run_clients(pool: asyncpg.Pool, rounds: int = 1) -> list[Job]:
    repository = PgJobRepository(pool)
    jobs: list[Job] = []
    for _ in range(rounds):
        lives = (one_job_through_its_life(repository) for _ in range(CLIENTS))
        jobs += await asyncio.gather(*lives)
    return jobs


@pytest_asyncio.fixture
async def uncached_pool(pooled_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pg_pool(pooled_url, max_size=CLIENTS, statement_cache_size=0)
    yield pool
    await pool.close()


async def test_without_a_statement_cache_every_statement_runs_through_the_pooler(
    uncached_pool: asyncpg.Pool, bouncer: PgBouncer, own_migrated_database_url: str
) -> None:
    jobs = await run_clients(uncached_pool)

    assert [(job.status.value, job.attempt, job.result) for job in jobs] == [
        ("completed", 1, {"ok": True})
    ] * CLIENTS
    database = urlsplit(own_migrated_database_url).path.lstrip("/")
    await bouncer.wait_for_transactions(database, at_least=CLIENTS * 5)


async def test_with_a_statement_cache_the_pooler_loses_the_prepared_statements(
    pooled_url: str,
) -> None:
    # The control: proves the PgBouncer above lends its server connections per
    # transaction, so the passing test is not passing for want of a real pooler.
    pool = await create_pg_pool(pooled_url, max_size=CLIENTS, statement_cache_size=100)
    try:
        with pytest.raises(
            (asyncpg.InvalidSQLStatementNameError, asyncpg.DuplicatePreparedStatementError)
        ):
            await run_clients(pool, rounds=3)
    finally:
        await pool.close()


async def test_migrations_bypass_the_pooler_and_leave_no_advisory_lock(
    bouncer: PgBouncer, test_services: Services
) -> None:
    server = urlsplit(await test_services.create_database())
    database = server.path.lstrip("/")
    settings = load_settings(
        {
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(bouncer.port),
            "POSTGRES_USER": server.username or "postgres",
            "POSTGRES_PASSWORD": server.password or "",
            "POSTGRES_DB": database,
            "POSTGRES_DIRECT_HOST": server.hostname or "127.0.0.1",
            "POSTGRES_DIRECT_PORT": str(server.port or 5432),
            "POSTGRES_MIGRATION_PATH": MIGRATIONS_URL,
        }
    )

    # Their session advisory lock serialises them; through the pooler it could be taken
    # on one server connection and released on another, leaving it held for good.
    async with asyncio.timeout(60):
        runs = await asyncio.gather(*(ioc.apply_migrations(settings) for _ in range(3)))

    applied = sorted(version for run in runs for version in run)
    assert applied == [m.version for m in discover(migrations_dir(MIGRATIONS_URL))]
    # Run through PgBouncer instead, the three leave three server connections here.
    assert bouncer.server_connections(database) == 0
    conn = await asyncpg.connect(settings.direct_database_url)
    try:
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    finally:
        await conn.close()
    assert held == 0
