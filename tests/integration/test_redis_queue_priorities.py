"""Queues of different priority on their own streams, served by weight: the runtime's
reader over the real Redis channel."""

from collections import Counter
from datetime import UTC, datetime
from uuid import uuid4

from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_app.runtime.queue_choice import WeightedQueueChoice
from taskforge_app.runtime.queue_reader import QueueReader
from taskforge_domain.job import Job
from tests.conftest import Services

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def job_on(queue: str) -> Job:
    return Job.submit(
        job_id=uuid4(), job_type="echo", payload={}, max_attempts=3, now=NOW, queue=queue
    )


def weighted_queue(redis_client, test_services: Services, weights: dict[str, int]):  # type: ignore[no-untyped-def]
    base = f"{test_services.key_prefix}:prio{uuid4().hex[:8]}"
    return RedisStreamChannel(
        redis_client,
        stream=f"{base}:queue:normal",
        group=f"{base}-workers",
        dlq_stream=f"{base}:dlq",
        dlq_group=f"{base}-dlq",
        queues=("high", "normal", "low"),
        served=list(weights),
    )


def reader_of(queue: RedisStreamChannel, weights: dict[str, int]) -> QueueReader:
    return QueueReader(queue, WeightedQueueChoice(weights))


async def test_each_queue_has_its_own_stream_named_after_normal(
    redis_client, test_services: Services
) -> None:
    queue = weighted_queue(redis_client, test_services, {"high": 1, "normal": 1, "low": 1})
    await queue.prepare()

    await queue.publish([job_on("high"), job_on("high"), job_on("low"), job_on("normal")])

    assert queue.stream_of("high").endswith(":queue:high")
    assert queue.stream_of("normal").endswith(":queue:normal")
    lengths = [await redis_client.xlen(queue.stream_of(q)) for q in ("high", "normal", "low")]
    assert lengths == [2, 1, 1]
    assert len(await queue.job_ids_in_transit()) == 4


async def test_a_saturated_high_queue_does_not_starve_low(
    redis_client, test_services: Services
) -> None:
    weights = {"high": 6, "normal": 3, "low": 1}
    queue = weighted_queue(redis_client, test_services, weights)
    reader = reader_of(queue, weights)
    await queue.prepare()
    high = [job_on("high") for _ in range(2000)]
    low = [job_on("low") for _ in range(200)]
    await queue.publish(high)
    await queue.publish(low)
    low_ids = {job.id for job in low}

    served: Counter[str] = Counter()
    for _ in range(50):
        deliveries = await reader.read("worker-a", 10, 100)
        served.update("low" if d.job_id in low_ids else "high" for d in deliveries)
        await queue.ack([d.message_id for d in deliveries])

    assert served.total() == 500
    assert served["low"] >= 45, served
    assert served["high"] >= 400, served
    assert await redis_client.xlen(queue.stream_of("high")) == 2000 - served["high"]


async def test_a_job_on_a_light_queue_is_received_when_the_heavy_one_is_empty(
    redis_client, test_services: Services
) -> None:
    weights = {"high": 6, "low": 1}
    queue = weighted_queue(redis_client, test_services, weights)
    await queue.prepare()
    waiting = job_on("low")
    await queue.publish([waiting])

    [delivery] = await reader_of(queue, weights).read("worker-a", 10, 1000)

    assert delivery.job_id == waiting.id
    await queue.ack([delivery.message_id])
    assert await redis_client.xlen(queue.stream_of("low")) == 0
