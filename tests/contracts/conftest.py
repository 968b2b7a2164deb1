"""Each port's contract runs twice: against the in-memory fake the unit tests use, and
against the real adapter on PostgreSQL or Redis. The `fake`/`real` switch is a plain
fixture parameter, so every test id names the implementation it ran on."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_backlog import PgStoreBacklog
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.redis.redis_client import RedisClient, create_cluster_client
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


# Every Redis adapter runs on a standalone Redis as SPEC.md names its streams, with its
# queues split in partitions, and on a real Redis Cluster with one and with four.
REDIS_VARIANTS = {
    "real": (False, 1),
    "partitioned": (False, 4),
    "cluster": (True, 1),
    "cluster-partitioned": (True, 4),
}


@dataclass(frozen=True)
class RedisVariant:
    client: RedisClient
    cluster: bool
    partitions: int


def redis_variant(request: pytest.FixtureRequest, redis_client: aioredis.Redis) -> RedisVariant:
    """The client and layout of the variant the test runs on; the cluster is started on
    first use only, so a run of the standalone variants alone never starts one."""
    cluster, partitions = REDIS_VARIANTS[request.param]
    if not cluster:
        return RedisVariant(redis_client, cluster, partitions)
    seeds = request.getfixturevalue("redis_cluster").seeds
    return RedisVariant(create_cluster_client(seeds, "", read_timeout=10), cluster, partitions)


async def close_variant(variant: RedisVariant) -> None:
    """A cluster client is the test's own; the standalone one is the session's."""
    if variant.cluster:
        await variant.client.aclose()


def own_streams(
    variant: RedisVariant, test_services: Services, served: tuple[str, ...]
) -> tuple[RedisStreamChannel, str]:
    """A Redis channel on streams of its own under the run's key prefix (the session
    deletes them), and the name of its consumer group."""
    base = f"{test_services.key_prefix}:contract-{uuid4().hex[:12]}"
    channel = RedisStreamChannel(
        variant.client,
        stream=f"{base}:queue:normal",
        group=f"{base}-workers",
        dlq_stream=f"{base}:dlq",
        dlq_group=f"{base}-dlq",
        queues=QUEUES,
        served=served,
        partitions=variant.partitions,
        cluster=variant.cluster,
    )
    return channel, f"{base}-workers"


def in_publishing_order(channel: Channel, job_ids: list[UUID | None]) -> list[UUID | None]:
    """What a contract may say of the order of job ids received: partitions keep the order
    of publishing within each partition only, so across them only the set is compared."""
    if isinstance(channel, RedisStreamChannel) and channel.layout.partitions > 1:
        return sorted(job_ids, key=str)
    return job_ids


@dataclass
class ChannelUnderTest:
    """A channel and the one thing its port cannot do: put a malformed message on a
    queue, as a foreign or corrupted producer would."""

    channel: Channel
    put_malformed: Callable[[str], Awaitable[None]]


@pytest_asyncio.fixture(params=["fake", *REDIS_VARIANTS])
async def channel_under_test(
    request: pytest.FixtureRequest, test_services: Services, redis_client: aioredis.Redis
) -> AsyncIterator[ChannelUnderTest]:
    if request.param == "fake":
        fake = FakeChannel()

        async def put_in_fake(queue: str) -> None:
            fake.deliver(None, queue=queue)

        yield ChannelUnderTest(fake, put_in_fake)
        return
    variant = redis_variant(request, redis_client)
    real, _ = own_streams(variant, test_services, served=QUEUES)

    async def put_in_redis(queue: str) -> None:
        await variant.client.xadd(real.stream_of(queue), {"job_id": "not-a-uuid"})

    yield ChannelUnderTest(real, put_in_redis)
    await real.aclose()
    await close_variant(variant)


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


@pytest_asyncio.fixture(params=["fake", *REDIS_VARIANTS])
async def channel_backlog(
    request: pytest.FixtureRequest, test_services: Services, redis_client: aioredis.Redis
) -> AsyncIterator[ChannelBacklogUnderTest]:
    if request.param == "fake":
        fake = FakeChannel()
        await fake.prepare()
        yield ChannelBacklogUnderTest(fake, fake)
        return
    variant = redis_variant(request, redis_client)
    real, group = own_streams(variant, test_services, served=("normal", "high"))
    await real.prepare()
    backlog = RedisStreamBacklog(
        variant.client,
        stream=real.layout.normal_stream,
        group=group,
        partitions=variant.partitions,
        cluster=variant.cluster,
    )
    yield ChannelBacklogUnderTest(real, backlog)
    await real.aclose()
    await close_variant(variant)
