from collections.abc import AsyncIterator

import pytest_asyncio

from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from tests.conftest import MIGRATIONS_URL, Services


@pytest_asyncio.fixture
async def own_migrated_database_url(test_services: Services) -> str:
    """A migrated database for this test alone, for statements that act on every job."""
    url = await test_services.create_database()
    await migrate_up(url, MIGRATIONS_URL)
    return url


@pytest_asyncio.fixture
async def own_repository(own_migrated_database_url: str) -> AsyncIterator[PgJobRepository]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=8)
    try:
        yield PgJobRepository(pool)
    finally:
        await pool.close()
