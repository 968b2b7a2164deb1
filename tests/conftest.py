import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from tests import services
from tests.redis_cluster import LocalCluster, start_local_cluster

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_URL = f"file://{PROJECT_ROOT / 'migrations'}"
TESTS_ROOT = PROJECT_ROOT / "tests"

# Each suite's directory names its marker, so `pytest -m unit` runs the tests that need no
# service in seconds and `-m e2e` or `-m faults` runs a slow suite apart, with no decorator
# on each test to forget. Tests at the top of tests/ belong to no suite.
SUITE_MARKERS = {
    "unit": "unit",
    "contracts": "contract",
    "integration": "integration",
    "e2e": "e2e",
    "faults": "faults",
    "client": "client",
    "cluster": "cluster",
}


def suite_marker(path: Path) -> str | None:
    """The marker of the suite whose directory holds this test file, if any."""
    if not path.is_relative_to(TESTS_ROOT):
        return None
    parts = path.relative_to(TESTS_ROOT).parts
    return SUITE_MARKERS.get(parts[0]) if len(parts) > 1 else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if marker := suite_marker(item.path):
            item.add_marker(marker)


@dataclass(frozen=True)
class Services:
    """The PostgreSQL and Redis of one run; `kind` names what the run's databases and keys
    are for (the tests, a benchmark), so leftovers say where they came from."""

    admin_url: str
    redis_url: str
    run_id: str
    kind: str = "test"

    @property
    def key_prefix(self) -> str:
        return f"tf{self.kind}:{self.run_id}"

    @property
    def database_prefix(self) -> str:
        return f"taskforge_{self.kind}_{self.run_id}"

    async def create_database(self, template: str | None = None) -> str:
        """A new database of this run, empty or a copy of `template`; drop_run_data drops
        it with the others."""
        name = services.unique_name(self.database_prefix)
        copied = f' TEMPLATE "{template}"' if template else ""
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"{copied}')
        finally:
            await conn.close()
        return services.with_database(self.admin_url, name)

    def environment(self, database_url: str, **overrides: str) -> dict[str, str]:
        """The environment, as every taskforge process reads it, that points one at this database.

        Streams and groups are named after the database, so stacks on different
        databases never read each other's messages.
        """
        db = urlsplit(database_url)
        redis = urlsplit(self.redis_url)
        keys = f"{self.key_prefix}:{db.path.rsplit('_', 1)[-1]}"
        env = {
            "POSTGRES_HOST": db.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(db.port or 5432),
            "POSTGRES_USER": db.username or "postgres",
            "POSTGRES_PASSWORD": db.password or "",
            "POSTGRES_DB": db.path.lstrip("/"),
            "POSTGRES_MIGRATION_PATH": MIGRATIONS_URL,
            "REDIS_ADDR": f"{redis.hostname}:{redis.port or 6379}",
            "REDIS_PASSWORD": redis.password or "",
            "REDIS_DB": redis.path.lstrip("/") or "0",
            "REDIS_STREAM": f"{keys}:queue:normal",
            "REDIS_CONSUMER_GROUP": f"{keys}-workers",
            "REDIS_STREAM_DLQ": f"{keys}:dlq",
            "REDIS_DLQ_CONSUMER_GROUP": f"{keys}-dlq",
        }
        env.update(overrides)
        return env

    async def drop_run_data(self) -> None:
        """Drop every database this run created and delete every key under its prefix."""
        conn = await asyncpg.connect(self.admin_url)
        try:
            names = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{self.database_prefix}_%"
            )
            for row in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        finally:
            await conn.close()
        client = aioredis.from_url(self.redis_url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{self.key_prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


async def _check_reachable(admin_url: str, redis_url: str) -> None:
    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
        await conn.close()
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL at {admin_url} is unreachable ({exc}); start it or set "
            "TASKFORGE_TEST_POSTGRES_URL",
            pytrace=False,
        )
    client = aioredis.from_url(redis_url)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(
            f"Redis at {redis_url} is unreachable ({exc}); start it or set "
            "TASKFORGE_TEST_REDIS_URL",
            pytrace=False,
        )
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def service_urls() -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        admin = stack.enter_context(services.postgres_admin_url(stack))
        redis_url = stack.enter_context(services.redis_url(stack))
        yield admin, redis_url


@pytest_asyncio.fixture(scope="session")
async def test_services(service_urls: tuple[str, str]) -> AsyncIterator[Services]:
    admin_url, redis_url = service_urls
    await _check_reachable(admin_url, redis_url)
    found = Services(admin_url, redis_url, uuid.uuid4().hex[:8])
    yield found
    await found.drop_run_data()


@pytest_asyncio.fixture(scope="session")
async def migrated_database_url(test_services: Services) -> str:
    """One database for the run, with every migration applied."""
    from taskforge_adapters.postgres.migrations import migrate_up

    url = await test_services.create_database()
    await migrate_up(url, MIGRATIONS_URL)
    return url


@pytest_asyncio.fixture(scope="session")
async def pg_pool(migrated_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    from taskforge_adapters.postgres.pg_pool import create_pg_pool

    pool = await create_pg_pool(migrated_database_url, max_size=8)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session")
async def redis_client(test_services: Services) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(test_services.redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalCluster]:
    """A real Redis Cluster (three masters, three replicas) on loopback ports for the run;
    a test that breaks a cluster (kills a node, moves slots) starts one of its own."""
    cluster = start_local_cluster()
    yield cluster
    cluster.stop()
