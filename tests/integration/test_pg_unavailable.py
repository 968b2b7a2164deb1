import asyncio
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest

from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_app.ports import StoreUnavailable
from taskforge_domain.job import Job
from tests.e2e.processes import free_port
from tests.integration.polling import eventually
from tests.integration.tcp_proxy import TcpProxy


def through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{proxy.port}" if credentials else f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))


async def test_query_cut_off_by_a_terminated_backend_raises_store_unavailable(
    own_migrated_database_url,
):
    pool = await create_pg_pool(own_migrated_database_url, max_size=1)
    admin = await asyncpg.connect(own_migrated_database_url)
    blocker = admin.transaction()
    try:
        repository = PgJobRepository(pool)
        await blocker.start()
        await admin.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        reading = asyncio.create_task(repository.get(uuid4()))
        await eventually(
            lambda: _blocked_backends(admin, count=1), what="the read waits on the table lock"
        )

        await admin.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )

        with pytest.raises(StoreUnavailable):
            await reading
        await blocker.rollback()
        assert await repository.get(uuid4()) is None
    finally:
        await admin.close()
        await pool.close()


async def _blocked_backends(admin: asyncpg.Connection, *, count: int) -> bool:
    # Inside a transaction the activity view is read once and kept; a fresh read sees a
    # backend that connected since.
    await admin.execute("SELECT pg_stat_clear_snapshot()")
    waiting = await admin.fetchval(
        """SELECT count(*) FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'"""
    )
    return bool(waiting == count)


async def test_repository_raises_store_unavailable_while_postgres_is_gone_and_then_recovers(
    own_migrated_database_url,
):
    server = urlsplit(own_migrated_database_url)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 5432)
    await proxy.start()
    pool = await create_pg_pool(through(proxy, own_migrated_database_url), max_size=2)
    try:
        repository = PgJobRepository(pool)
        now = datetime.now(UTC)
        job = Job.submit(job_id=uuid4(), job_type="echo", payload={}, max_attempts=1, now=now)
        (await repository.insert_many([job]))[0]

        await proxy.stop()

        with pytest.raises(StoreUnavailable):
            await repository.get(job.id)
        with pytest.raises(StoreUnavailable):
            await repository.ping()

        await proxy.start()

        assert await repository.get(job.id) == job
    finally:
        await pool.close()
        await proxy.stop()


async def test_a_pool_to_a_closed_port_opens_and_its_first_use_fails_fast():
    started = time.monotonic()

    pool = await create_pg_pool("postgresql://postgres@127.0.0.1:1/x", connect_timeout=5)
    try:
        with pytest.raises(StoreUnavailable, match="PostgreSQL unavailable"):
            await PgJobRepository(pool).ping()
    finally:
        await pool.close()

    assert time.monotonic() - started < 2


async def test_a_pool_made_before_postgres_answers_serves_once_it_does(
    own_migrated_database_url,
):
    server = urlsplit(own_migrated_database_url)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 5432)
    # The port PostgreSQL will answer on, closed until the proxy starts.
    proxy.port = free_port()
    pool = await create_pg_pool(through(proxy, own_migrated_database_url), max_size=2)
    repository = PgJobRepository(pool)
    try:
        with pytest.raises(StoreUnavailable):
            await repository.ping()

        await proxy.start()

        await repository.ping()
    finally:
        await pool.close()
        await proxy.stop()
