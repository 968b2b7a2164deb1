"""The relay of jobs enqueued in SQL, on a real PostgreSQL and Redis: what it publishes,
what it leaves alone, several relays at once, and its LISTEN connection."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from taskforge_adapters.postgres.pg_enqueue_listener import PgEnqueueListener
from taskforge_adapters.postgres.pg_enqueue_relay import PgEnqueuedJobs
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_adapters.system_clock import SystemClock
from taskforge_app.ports import ChannelUnavailable, EnqueueRules
from taskforge_app.relay_enqueued_jobs import RelayEnqueuedJobs
from taskforge_app.runtime.enqueue_relay_loop import EnqueueRelay, run_enqueue_relay
from taskforge_domain.job import Job
from tests.conftest import Services
from tests.integration.polling import eventually

RULES = EnqueueRules(("high", "normal", "low"), 5, 1 << 20)


@dataclass
class Relaying:
    url: str
    pool: Any
    redis: Any
    channel: RedisStreamChannel

    def relay(self, batch_size: int = 500) -> RelayEnqueuedJobs:
        return RelayEnqueuedJobs(PgEnqueuedJobs(self.pool), self.channel, SystemClock(), batch_size)

    async def enqueue(self, count: int, queue: str = "normal") -> list[UUID]:
        async with self.pool.acquire() as conn, conn.transaction():
            return [
                await conn.fetchval("SELECT taskforge_enqueue('ping', $1, $2)", {"n": n}, queue)
                for n in range(count)
            ]

    async def published(self, queue: str = "normal") -> list[UUID]:
        entries = await self.redis.xrange(self.channel.stream_of(queue))
        return [UUID(fields[b"job_id"].decode()) for _, fields in entries]

    async def statuses(self) -> dict[str, int]:
        rows = await self.pool.fetch("SELECT status, count(*) FROM jobs GROUP BY status")
        return {row["status"]: row["count"] for row in rows}

    async def waiting_for_relay(self) -> int:
        count: int = await self.pool.fetchval("SELECT count(*) FROM job_enqueue_relay")
        return count


@pytest_asyncio.fixture
async def relaying(
    own_migrated_database_url: str, redis_client: Any, test_services: Services
) -> AsyncIterator[Relaying]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=8)
    base = f"{test_services.key_prefix}:relay-{uuid4().hex[:12]}"
    channel = RedisStreamChannel(
        redis_client,
        stream=f"{base}:normal",
        group="workers",
        dlq_stream=f"{base}:dlq",
        dlq_group="dlq",
        queues=("high", "normal", "low"),
    )
    try:
        yield Relaying(own_migrated_database_url, pool, redis_client, channel)
    finally:
        await pool.close()


async def test_committed_jobs_are_published_to_their_streams_and_marked_queued(
    relaying: Relaying,
) -> None:
    normal = await relaying.enqueue(3)
    high = await relaying.enqueue(2, queue="high")

    assert await relaying.relay()() == 5

    assert sorted(await relaying.published()) == sorted(normal)
    assert sorted(await relaying.published("high")) == sorted(high)
    assert await relaying.statuses() == {"queued": 5}
    assert await relaying.waiting_for_relay() == 0


async def test_a_rolled_back_enqueue_publishes_nothing(relaying: Relaying) -> None:
    async with relaying.pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await conn.fetchval("SELECT taskforge_enqueue('ping')")
        await transaction.rollback()

    assert await relaying.relay()() == 0

    assert await relaying.published() == []
    assert await relaying.statuses() == {}


async def test_a_backlog_larger_than_a_batch_is_relayed_whole(relaying: Relaying) -> None:
    enqueued = await relaying.enqueue(25)

    assert await relaying.relay(batch_size=10)() == 25

    assert sorted(await relaying.published()) == sorted(enqueued)
    assert await relaying.waiting_for_relay() == 0


async def test_jobs_the_api_is_publishing_itself_are_never_taken(relaying: Relaying) -> None:
    # The API's own pending job, committed, its publish still to come.
    api_job = Job.submit(
        job_id=uuid4(), job_type="ping", payload={}, max_attempts=5, now=SystemClock().now()
    )
    await PgJobRepository(relaying.pool).insert_many([api_job])
    sql_job = (await relaying.enqueue(1))[0]

    assert await relaying.relay()() == 1

    assert await relaying.published() == [sql_job]
    assert await relaying.statuses() == {"pending": 1, "queued": 1}


async def test_a_job_that_moved_on_meanwhile_is_released_without_a_second_message(
    relaying: Relaying,
) -> None:
    [job_id] = await relaying.enqueue(1)
    # The repair pass published it already and a worker started it.
    await relaying.pool.execute(
        "UPDATE jobs SET status = 'running', attempt = 1 WHERE id = $1", job_id
    )

    assert await relaying.relay()() == 0

    assert await relaying.published() == []
    assert await relaying.waiting_for_relay() == 0
    assert await relaying.statuses() == {"running": 1}


async def test_a_relay_entry_whose_job_is_gone_is_released(relaying: Relaying) -> None:
    [kept] = await relaying.enqueue(1)
    await relaying.pool.execute("INSERT INTO job_enqueue_relay (job_id) VALUES ($1)", uuid4())

    assert await relaying.relay()() == 1

    assert await relaying.published() == [kept]
    assert await relaying.waiting_for_relay() == 0


async def test_a_failed_publish_leaves_every_job_to_the_next_pass(relaying: Relaying) -> None:
    class Down:
        async def publish(self, jobs: Any) -> None:
            raise ChannelUnavailable("Redis down")

    enqueued = await relaying.enqueue(3)
    relay = RelayEnqueuedJobs(PgEnqueuedJobs(relaying.pool), Down(), SystemClock())

    with pytest.raises(ChannelUnavailable):
        await relay()

    assert await relaying.waiting_for_relay() == 3
    assert await relaying.relay()() == 3
    assert sorted(await relaying.published()) == sorted(enqueued)


async def test_several_relays_at_once_publish_every_job_exactly_once(relaying: Relaying) -> None:
    enqueued = await relaying.enqueue(400)
    relays = [relaying.relay(batch_size=7) for _ in range(6)]

    counts = await asyncio.gather(*(relay() for relay in relays))

    published = await relaying.published()
    assert sum(counts) == 400
    assert len(published) == 400
    assert sorted(published) == sorted(enqueued)
    assert await relaying.statuses() == {"queued": 400}


async def test_the_listener_is_woken_by_a_commit_and_not_by_a_rollback(
    relaying: Relaying,
) -> None:
    listener = PgEnqueueListener(relaying.url)
    await listener.listen()
    try:
        async with relaying.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            await conn.fetchval("SELECT taskforge_enqueue('ping')")
            assert not await listener.wait(0.2), "woken before the commit"
            await transaction.rollback()
        assert not await listener.wait(0.2), "woken by a rollback"

        await relaying.enqueue(2)

        assert await listener.wait(5)
    finally:
        await listener.close()


async def test_the_relay_loop_catches_up_on_start_and_then_relays_each_commit(
    relaying: Relaying,
) -> None:
    before_start = await relaying.enqueue(3)
    stop = asyncio.Event()
    parts = EnqueueRelay(
        relaying.relay(), PgEnqueueListener(relaying.url), PgEnqueuedJobs(relaying.pool), RULES
    )
    # A poll far longer than the test: only the catch-up and notifications can relay.
    loop = asyncio.create_task(run_enqueue_relay(parts, 3600, stop))
    try:
        await eventually(
            lambda: _published_count(relaying, 3), what="the catch-up published what committed"
        )
        after_start = await relaying.enqueue(2)
        await eventually(lambda: _published_count(relaying, 5), what="a commit woke the relay")
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)

    assert sorted(await relaying.published()) == sorted(before_start + after_start)


async def test_the_relay_loop_listens_again_after_its_connection_is_cut(
    relaying: Relaying,
) -> None:
    stop = asyncio.Event()
    parts = EnqueueRelay(
        relaying.relay(), PgEnqueueListener(relaying.url), PgEnqueuedJobs(relaying.pool), RULES
    )
    loop = asyncio.create_task(run_enqueue_relay(parts, 3600, stop))
    try:
        await eventually(lambda: _listening(relaying, 1), what="the relay listens")
        await relaying.pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
        )
        await eventually(lambda: _listening(relaying, 0), what="the listener is cut off")
        cut_off = await relaying.enqueue(2)
        await eventually(
            lambda: _published_count(relaying, 2), what="the relay caught up after reconnecting"
        )
        later = await relaying.enqueue(1)
        await eventually(lambda: _published_count(relaying, 3), what="the new LISTEN woke it")
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)

    assert sorted(await relaying.published()) == sorted(cut_off + later)


async def test_the_relay_loop_writes_the_services_rules_when_it_starts(
    relaying: Relaying,
) -> None:
    stop = asyncio.Event()
    rules = EnqueueRules(("normal", "bulk"), 2, 4096)
    parts = EnqueueRelay(
        relaying.relay(), PgEnqueueListener(relaying.url), PgEnqueuedJobs(relaying.pool), rules
    )
    loop = asyncio.create_task(run_enqueue_relay(parts, 3600, stop))

    async def written() -> bool:
        row = await relaying.pool.fetchrow("SELECT * FROM taskforge_enqueue_settings")
        return bool(row["queues"] == ["normal", "bulk"] and row["default_max_attempts"] == 2)

    try:
        await eventually(written, what="the relay wrote its rules")
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)


async def _published_count(relaying: Relaying, count: int) -> bool:
    return len(await relaying.published()) >= count


async def _listening(relaying: Relaying, count: int) -> bool:
    found = await relaying.pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
    )
    return bool(found == count)


async def test_listening_again_is_not_mistaken_for_losing_the_new_connection(
    relaying: Relaying,
) -> None:
    listener = PgEnqueueListener(relaying.url)
    await listener.listen()
    try:
        await listener.listen()

        assert not await listener.wait(0.2)
        await relaying.enqueue(1)
        assert await listener.wait(5)
    finally:
        await listener.close()
