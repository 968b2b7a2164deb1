"""The backlog a metrics scrape reads: one statement on PostgreSQL, one XPENDING on Redis."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import pytest_asyncio
import redis.asyncio as aioredis

from taskforge_adapters.postgres.pg_backlog import PgStoreBacklog
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.redis.redis_stream_backlog import RedisStreamBacklog
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_app.ports.backlog import WaitingJobs
from taskforge_domain.job import Job
from tests.conftest import Services

NOW = datetime.now(UTC)


@pytest_asyncio.fixture
async def own_pool(own_migrated_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pg_pool(own_migrated_database_url, max_size=2)
    yield pool
    await pool.close()


def new_job(created: datetime, run_at: datetime | None = None, queue: str = "normal") -> Job:
    return Job.submit(
        job_id=uuid4(),
        job_type="ping",
        payload={},
        max_attempts=3,
        now=created,
        run_at=run_at,
        queue=queue,
    )


async def test_waiting_jobs_are_the_pending_and_queued_ones_with_the_earliest_run_at(
    own_pool: asyncpg.Pool,
) -> None:
    repository, backlog = PgJobRepository(own_pool), PgStoreBacklog(own_pool)
    assert await backlog.waiting_jobs() == {}

    oldest, queued, running = (new_job(NOW - timedelta(seconds=s)) for s in (60, 30, 90))
    scheduled = new_job(NOW, run_at=NOW + timedelta(hours=1))
    await repository.insert_many([oldest, queued, running, scheduled])
    await repository.mark_queued([queued.id, running.id], NOW)
    await repository.claim([running.id], NOW, timedelta(seconds=30), "worker-1")

    waiting = await backlog.waiting_jobs()

    assert waiting == {"normal": WaitingJobs(2, oldest.run_at)}


async def test_waiting_jobs_are_counted_per_queue_in_one_statement(
    own_pool: asyncpg.Pool,
) -> None:
    repository, backlog = PgJobRepository(own_pool), PgStoreBacklog(own_pool)
    high = [new_job(NOW - timedelta(seconds=s), queue="high") for s in (5, 1)]
    low = new_job(NOW - timedelta(seconds=300), queue="low")
    await repository.insert_many([*high, low, new_job(NOW)])

    waiting = await backlog.waiting_jobs()

    assert waiting == {
        "high": WaitingJobs(2, high[0].run_at),
        "normal": WaitingJobs(1, NOW),
        "low": WaitingJobs(1, low.run_at),
    }


async def test_in_flight_are_messages_delivered_and_not_yet_acknowledged_per_queue(
    redis_client: aioredis.Redis, test_services: Services
) -> None:
    base = f"{test_services.key_prefix}:backlog-{uuid4().hex[:12]}"
    queue = RedisStreamChannel(
        redis_client,
        stream=f"{base}:normal",
        group="w",
        dlq_stream=f"{base}:dlq",
        dlq_group="d",
        queues=["high", "normal", "low"],
        served=["high", "normal"],
    )
    backlog = RedisStreamBacklog(redis_client, stream=f"{base}:normal", group="w")
    queues = ["high", "normal", "low"]

    async def counts() -> dict[str, int]:
        return {
            queue: entries.count for queue, entries in (await backlog.in_flight(queues)).items()
        }

    assert await counts() == {"high": 0, "normal": 0, "low": 0}

    await queue.prepare()
    normal = [new_job(NOW) for _ in range(3)]
    await queue.publish([*normal, new_job(NOW, queue="high")])
    delivered = await queue.receive("worker-1", ["high", "normal"], count=8, block_ms=100)
    before_ack = await counts()
    await queue.ack([next(d.message_id for d in delivered if d.job_id == normal[0].id)])

    places = {queue: entries.where for queue, entries in (await backlog.in_flight(queues)).items()}
    assert places == {q: f"{base}:{q}" for q in queues}
    assert before_ack == {"high": 1, "normal": 3, "low": 0}
    assert await counts() == {"high": 1, "normal": 2, "low": 0}
