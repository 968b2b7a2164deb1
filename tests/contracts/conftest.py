"""Each port's contract runs twice: against the in-memory fake the unit tests use, and
against the real adapter on PostgreSQL or Redis. The `fake`/`real` switch is a plain
fixture parameter, so every test id names the implementation it ran on."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from uuid import uuid4

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_backlog import PgStoreBacklog
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.redis.redis_stream_backlog import RedisStreamBacklog
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from tests.conftest import MIGRATIONS_URL, Services
from tests.unit.fakes import FakeChannel, InMemoryJobRepository

QUEUES = ("normal", "high", "low")

Store = InMemoryJobRepository | PgJobRepository
Channel = FakeChannel | RedisStreamChannel


@pytest_asyncio.fixture(scope="session")
async def migrated_template(test_services: Services) -> str:
    """A migrated database that each real store is copied from: a copy costs half of
    running the migrations again. Named like the run's other databases, so the session
    drops it with them."""
    url = await test_services.create_database()
    await migrate_up(url, MIGRATIONS_URL)
    return url.rsplit("/", 1)[-1]


@pytest_asyncio.fixture(params=["fake", "real"])
async def store(
    request: pytest.FixtureRequest, test_services: Services, migrated_template: str
) -> AsyncIterator[Store]:
    """Every store role. The real one gets a database of its own per test: several
    statements (promote_due, find_waiting, delete_finished, listings) act on every job."""
    if request.param == "fake":
        yield InMemoryJobRepository()
        return
    pool = await create_pg_pool(await test_services.create_database(migrated_template), max_size=4)
    try:
        yield PgJobRepository(pool)
    finally:
        await pool.close()


def own_streams(
    redis_client: aioredis.Redis, test_services: Services, served: tuple[str, ...]
) -> tuple[RedisStreamChannel, str]:
    """A Redis channel on streams of its own under the run's key prefix (the session
    deletes them), and the name of its consumer group."""
    base = f"{test_services.key_prefix}:contract-{uuid4().hex[:12]}"
    channel = RedisStreamChannel(
        redis_client,
        stream=f"{base}:queue:normal",
        group=f"{base}-workers",
        dlq_stream=f"{base}:dlq",
        dlq_group=f"{base}-dlq",
        queues=QUEUES,
        served=served,
    )
    return channel, f"{base}-workers"


@dataclass
class ChannelUnderTest:
    """A channel and the one thing its port cannot do: put a malformed message on a
    queue, as a foreign or corrupted producer would."""

    channel: Channel
    put_malformed: Callable[[str], Awaitable[None]]


@pytest_asyncio.fixture(params=["fake", "real"])
async def channel_under_test(
    request: pytest.FixtureRequest, test_services: Services, redis_client: aioredis.Redis
) -> AsyncIterator[ChannelUnderTest]:
    if request.param == "fake":
        fake = FakeChannel()

        async def put_in_fake(queue: str) -> None:
            fake.deliver(None, queue=queue)

        yield ChannelUnderTest(fake, put_in_fake)
        return
    real, _ = own_streams(redis_client, test_services, served=QUEUES)

    async def put_in_redis(queue: str) -> None:
        await redis_client.xadd(real.stream_of(queue), {"job_id": "not-a-uuid"})

    yield ChannelUnderTest(real, put_in_redis)


@pytest_asyncio.fixture
async def channel(channel_under_test: ChannelUnderTest) -> Channel:
    """A prepared channel, as a worker has it before it reads."""
    await channel_under_test.channel.prepare()
    return channel_under_test.channel


@dataclass
class BacklogUnderTest:
    """A store and the store's backlog view of the same jobs."""

    store: Store
    backlog: InMemoryJobRepository | PgStoreBacklog


@pytest_asyncio.fixture(params=["fake", "real"])
async def store_backlog(
    request: pytest.FixtureRequest, test_services: Services, migrated_template: str
) -> AsyncIterator[BacklogUnderTest]:
    if request.param == "fake":
        fake = InMemoryJobRepository()
        yield BacklogUnderTest(fake, fake)
        return
    pool = await create_pg_pool(await test_services.create_database(migrated_template), max_size=4)
    try:
        yield BacklogUnderTest(PgJobRepository(pool), PgStoreBacklog(pool))
    finally:
        await pool.close()


@dataclass
class ChannelBacklogUnderTest:
    """A prepared channel and the channel's backlog view of the same streams."""

    channel: Channel
    backlog: FakeChannel | RedisStreamBacklog


@pytest_asyncio.fixture(params=["fake", "real"])
async def channel_backlog(
    request: pytest.FixtureRequest, test_services: Services, redis_client: aioredis.Redis
) -> AsyncIterator[ChannelBacklogUnderTest]:
    if request.param == "fake":
        fake = FakeChannel()
        await fake.prepare()
        yield ChannelBacklogUnderTest(fake, fake)
        return
    real, group = own_streams(redis_client, test_services, served=("normal", "high"))
    await real.prepare()
    backlog = RedisStreamBacklog(redis_client, stream=real.stream_of("normal"), group=group)
    yield ChannelBacklogUnderTest(real, backlog)
