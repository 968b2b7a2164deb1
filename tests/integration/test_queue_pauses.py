"""Pausing queues on the real stores: the pauses in PostgreSQL, the running count, the
weights workers announce, and a Redis takeover that leaves paused queues alone while the
reader, over the real streams, never reads them."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest_asyncio

from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_queue_pauses import PgQueuePauses
from taskforge_adapters.postgres.pg_worker_presence import PgWorkerPresence
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_app.ports import WorkerIdentity
from taskforge_app.ports.queue_pauses import QueuePause
from taskforge_app.runtime.pause_gate import PauseGate
from taskforge_app.runtime.queue_choice import WeightedQueueChoice
from taskforge_app.runtime.queue_reader import QueueReader
from taskforge_domain.job import Job
from tests.conftest import Services

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest_asyncio.fixture
async def pool(own_migrated_database_url: str) -> AsyncIterator[object]:
    created = await create_pg_pool(own_migrated_database_url, max_size=4)
    try:
        yield created
    finally:
        await created.close()


def job_on(queue: str) -> Job:
    return Job.submit(
        job_id=uuid4(), job_type="echo", payload={}, max_attempts=3, now=NOW, queue=queue
    )


async def test_a_pause_is_stored_once_and_lifted_once(pool) -> None:
    pauses = PgQueuePauses(pool)
    pause = QueuePause("low", NOW, "cli:ops")

    assert await pauses.pause(pause) == pause
    assert await pauses.pause(QueuePause("low", NOW + LEASE, "someone-else")) is None
    assert await pauses.pause(QueuePause("high", NOW, "ops-key")) is not None
    assert [p.queue for p in await pauses.paused()] == ["high", "low"]
    assert await pauses.resume("low") == pause
    assert await pauses.resume("low") is None
    assert await pauses.paused() == [QueuePause("high", NOW, "ops-key")]


async def test_running_attempts_are_counted_by_queue(pool) -> None:
    jobs = PgJobRepository(pool)
    submitted = [job_on("high"), job_on("high"), job_on("low"), job_on("normal")]
    await jobs.insert_many(submitted)

    await jobs.claim([job.id for job in submitted[:3]], NOW, LEASE, "worker-1")

    assert dict(await PgQueuePauses(pool).running_by_queue()) == {"high": 2, "low": 1}


async def test_a_worker_announces_the_weight_of_each_queue_it_serves(pool) -> None:
    presence = PgWorkerPresence(pool)
    me = WorkerIdentity("worker-1", uuid4(), "host", 1, ("high", "low"), (6, 1))

    await presence.register(me, timedelta(seconds=5))
    [seen] = await presence.live(timedelta(seconds=5))

    assert seen.queues == ("high", "low")
    assert seen.queue_weights == (6, 1)


async def test_over_redis_a_paused_queue_is_neither_read_nor_taken_over(
    pool, redis_client, test_services: Services
) -> None:
    base = f"{test_services.key_prefix}:pause{uuid4().hex[:8]}"
    channel = RedisStreamChannel(
        redis_client,
        stream=f"{base}:queue:normal",
        group=f"{base}-workers",
        dlq_stream=f"{base}:dlq",
        dlq_group=f"{base}-dlq",
        queues=("high", "normal", "low"),
        served=["high", "low"],
    )
    await channel.prepare()
    low_read_before, low_waiting = job_on("low"), job_on("low")
    await channel.publish([low_read_before])
    gone = await channel.receive("gone-worker", ["low"], 10, None)
    await channel.publish([low_waiting, job_on("high")])
    pauses = PgQueuePauses(pool)
    await pauses.pause(QueuePause("low", NOW, "cli:ops"))
    gate = PauseGate(pauses)
    await gate.refresh()
    reader = QueueReader(channel, WeightedQueueChoice({"high": 1, "low": 5}), gate)

    read = [d for _ in range(3) for d in await reader.read("worker-1", 10, 10)]
    await channel.ack([d.message_id for d in read])
    taken = await channel.reclaim_idle("worker-1", 0, 10, skip=gate.paused)

    assert [d.queue for d in read] == ["high"]
    assert taken == []
    assert [d.queue for d in gone] == ["low"]
    pending = await redis_client.xpending(channel.stream_of("low"), f"{base}-workers")
    assert pending["pending"] == 1
    assert await redis_client.xlen(channel.stream_of("low")) == 2
    await pauses.resume("low")
    await gate.refresh()
    assert [d.job_id for d in await channel.reclaim_idle("worker-1", 0, 10, skip=gate.paused)] == [
        low_read_before.id
    ]
    assert [d.job_id for d in await reader.read("worker-1", 10, 10)] == [low_waiting.id]
