from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import Services
from tests.faults.harness import FaultStack
from tests.faults.private_services import PrivatePostgres, PrivateRedis


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    yield redis
    redis.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    yield postgres
    postgres.destroy()


@pytest_asyncio.fixture
async def stack(
    test_services: Services, private_redis: PrivateRedis, tmp_path: Path
) -> AsyncIterator[FaultStack]:
    """A deployment on the machine's PostgreSQL (own database) and a private Redis."""
    deployment = FaultStack(await test_services.create_database(), private_redis, tmp_path)
    yield deployment
    deployment.stop_all()
