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


async def test_pool_to_a_closed_port_fails_fast():
    started = time.monotonic()

    with pytest.raises((OSError, StoreUnavailable)):
        await create_pg_pool("postgresql://postgres@127.0.0.1:1/x", connect_timeout=5)

    assert time.monotonic() - started < 2
