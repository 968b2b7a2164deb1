import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from taskforge_adapters.redis.redis_client import create_redis_client
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_app.ports import ChannelUnavailable, DeadLetter, Delivery
from taskforge_domain.job import Job
from tests.conftest import Services

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
BLOCK_MS = 50


class Names:
    def __init__(self, key_prefix: str) -> None:
        base = f"{key_prefix}:queue-{uuid4().hex[:12]}"
        self.stream = f"{base}:jobs"
        self.group = "workers"
        self.dlq_stream = f"{base}:dlq"
        self.dlq_group = "dlq-readers"


@pytest.fixture
def names(test_services: Services) -> Names:
    return Names(test_services.key_prefix)


@pytest.fixture
def queue(redis_client, names: Names) -> RedisStreamChannel:
    return RedisStreamChannel(
        redis_client,
        stream=names.stream,
        group=names.group,
        dlq_stream=names.dlq_stream,
        dlq_group=names.dlq_group,
    )


@pytest_asyncio.fixture
async def ready_queue(queue: RedisStreamChannel) -> RedisStreamChannel:
    await queue.prepare()
    return queue


def new_job(job_type: str = "echo") -> Job:
    return Job.submit(
        job_id=uuid4(), job_type=job_type, payload={}, max_attempts=3, now=datetime.now(UTC)
    )


async def group_names(redis_client, stream: str) -> list[bytes]:
    return [group["name"] for group in await redis_client.xinfo_groups(stream)]


async def pending_count(redis_client, names: Names) -> int:
    summary = await redis_client.xpending(names.stream, names.group)
    return int(summary["pending"])


async def test_ensure_groups_creates_both_streams_and_groups_and_is_idempotent(
    queue, redis_client, names
):
    await queue.prepare()
    await queue.prepare()

    assert await group_names(redis_client, names.stream) == [names.group.encode()]
    assert await group_names(redis_client, names.dlq_stream) == [names.dlq_group.encode()]


async def test_published_jobs_are_received_in_order(ready_queue):
    jobs = [new_job() for _ in range(5)]

    await ready_queue.publish(jobs)
    deliveries = await ready_queue.receive("consumer-1", ["normal"], count=10, block_ms=BLOCK_MS)

    assert [d.job_id for d in deliveries] == [job.id for job in jobs]
    assert len({d.message_id for d in deliveries}) == len(jobs)


async def test_receive_returns_at_most_count_and_nothing_twice(ready_queue):
    jobs = [new_job() for _ in range(5)]
    await ready_queue.publish(jobs)

    first = await ready_queue.receive("consumer-1", ["normal"], count=3, block_ms=BLOCK_MS)
    second = await ready_queue.receive("consumer-2", ["normal"], count=3, block_ms=BLOCK_MS)
    third = await ready_queue.receive("consumer-1", ["normal"], count=3, block_ms=BLOCK_MS)

    assert [d.job_id for d in [*first, *second]] == [job.id for job in jobs]
    assert (len(first), len(second), third) == (3, 2, [])


async def test_message_with_a_malformed_job_id_is_delivered_without_one(
    ready_queue, redis_client, names
):
    not_a_uuid = await redis_client.xadd(names.stream, {"job_id": "not-a-uuid"})
    no_job_id = await redis_client.xadd(names.stream, {"job_type": "echo"})
    invalid_utf8 = await redis_client.xadd(names.stream, {"job_id": b"\xff\xfe"})

    deliveries = await ready_queue.receive("consumer-1", ["normal"], count=10, block_ms=BLOCK_MS)

    assert deliveries == [
        Delivery(message_id.decode(), None) for message_id in (not_a_uuid, no_job_id, invalid_utf8)
    ]


async def test_ack_removes_messages_from_the_pending_list(ready_queue, redis_client, names):
    await ready_queue.publish([new_job() for _ in range(4)])
    deliveries = await ready_queue.receive("consumer-1", ["normal"], count=10, block_ms=BLOCK_MS)
    assert await pending_count(redis_client, names) == 4

    await ready_queue.ack([d.message_id for d in deliveries[:3]])

    pending = await redis_client.xpending_range(names.stream, names.group, "-", "+", 10)
    assert [entry["message_id"].decode() for entry in pending] == [deliveries[3].message_id]
    await ready_queue.ack([deliveries[3].message_id])
    assert await pending_count(redis_client, names) == 0


async def test_ack_of_no_messages_is_a_no_op(ready_queue):
    await ready_queue.ack([])


async def test_receive_recreates_the_groups_after_redis_lost_the_streams(
    ready_queue, redis_client, names
):
    await ready_queue.publish([new_job()])
    await redis_client.delete(names.stream, names.dlq_stream)

    assert await ready_queue.receive("consumer-1", ["normal"], count=10, block_ms=BLOCK_MS) == []

    assert await group_names(redis_client, names.stream) == [names.group.encode()]
    assert await group_names(redis_client, names.dlq_stream) == [names.dlq_group.encode()]
    job = new_job()
    await ready_queue.publish([job])
    deliveries = await ready_queue.receive("consumer-1", ["normal"], count=10, block_ms=BLOCK_MS)
    assert [d.job_id for d in deliveries] == [job.id]


async def test_receive_on_an_empty_stream_returns_nothing(ready_queue):
    assert await ready_queue.receive("consumer-1", ["normal"], count=10, block_ms=BLOCK_MS) == []


async def test_dead_letters_carry_exactly_the_spec_fields(ready_queue, redis_client, names):
    now = datetime(2026, 11, 27, 13, 45, 7, 123456, tzinfo=UTC)
    started = new_job("resize").start(now, timedelta(seconds=30))
    dead = started.kill("TerminalError: image too large", now + timedelta(seconds=2))
    on_the_second = DeadLetter(uuid4(), "echo", 3, "", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    await ready_queue.publish_dead([DeadLetter.of(dead), on_the_second])

    entries = await redis_client.xrange(names.dlq_stream)
    assert [fields for _, fields in entries] == [
        {
            b"job_id": str(dead.id).encode(),
            b"job_type": b"resize",
            b"attempt": b"1",
            b"last_error": b"TerminalError: image too large",
            b"dead_at": b"2026-11-27T13:45:09.123456Z",
        },
        {
            b"job_id": str(on_the_second.job_id).encode(),
            b"job_type": b"echo",
            b"attempt": b"3",
            b"last_error": b"",
            b"dead_at": b"2026-01-02T03:04:05Z",
        },
    ]
    for _, fields in entries:
        assert RFC3339_UTC.match(fields[b"dead_at"].decode())
    assert UUID(entries[0][1][b"job_id"].decode()) == dead.id


async def test_dead_letters_are_received_through_the_dlq_group_with_their_fields(ready_queue):
    sent = [
        DeadLetter(
            uuid4(), "resize", 3, "TerminalError: too large", datetime(2026, 1, 2, tzinfo=UTC)
        ),
        DeadLetter(uuid4(), "echo", 1, "", datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)),
    ]
    await ready_queue.publish_dead(sent)

    first = await ready_queue.receive_dead("cli-1", count=1, block_ms=BLOCK_MS)
    rest = await ready_queue.receive_dead("cli-2", count=10, block_ms=BLOCK_MS)
    nothing = await ready_queue.receive_dead("cli-1", count=10, block_ms=BLOCK_MS)

    assert [letter for _, letter in [*first, *rest]] == sent
    assert nothing == []
    assert len({message_id for message_id, _ in [*first, *rest]}) == 2


async def test_ack_dead_clears_the_group_pending_list_and_keeps_the_entries(
    ready_queue, redis_client, names
):
    await ready_queue.publish_dead([DeadLetter(uuid4(), "echo", 1, "x", datetime.now(UTC))])
    [(message_id, _)] = await ready_queue.receive_dead("cli-1", count=10, block_ms=BLOCK_MS)
    assert (await redis_client.xpending(names.dlq_stream, names.dlq_group))["pending"] == 1

    await ready_queue.ack_dead([message_id])
    await ready_queue.ack_dead([])

    assert (await redis_client.xpending(names.dlq_stream, names.dlq_group))["pending"] == 0
    assert await redis_client.xlen(names.dlq_stream) == 1


async def test_receive_dead_creates_the_missing_group_and_then_reads_the_stream(
    queue, redis_client, names
):
    letter = DeadLetter(uuid4(), "echo", 2, "lost", datetime.now(UTC))
    await redis_client.xadd(
        names.dlq_stream,
        {
            "job_id": str(letter.job_id),
            "job_type": "echo",
            "attempt": 2,
            "last_error": "lost",
            "dead_at": letter.dead_at.isoformat().replace("+00:00", "Z"),
        },
    )

    assert await queue.receive_dead("cli-1", count=10, block_ms=BLOCK_MS) == []
    received = await queue.receive_dead("cli-1", count=10, block_ms=BLOCK_MS)

    assert await group_names(redis_client, names.dlq_stream) == [names.dlq_group.encode()]
    assert [got for _, got in received] == [letter]


async def test_unreadable_dead_letters_are_acknowledged_and_skipped(
    ready_queue, redis_client, names
):
    await redis_client.xadd(names.dlq_stream, {"job_id": "not-a-uuid", "dead_at": "x"})
    await redis_client.xadd(names.dlq_stream, {"note": "no fields at all"})
    good = DeadLetter(uuid4(), "echo", 1, "x", datetime(2026, 5, 6, tzinfo=UTC))
    await ready_queue.publish_dead([good])

    received = await ready_queue.receive_dead("cli-1", count=10, block_ms=BLOCK_MS)

    assert [letter for _, letter in received] == [good]
    summary = await redis_client.xpending(names.dlq_stream, names.dlq_group)
    assert summary["pending"] == 1


async def test_ping_answers(queue):
    assert await queue.ping() is None


@pytest_asyncio.fixture
async def unreachable_queue(names: Names) -> AsyncIterator[RedisStreamChannel]:
    client = create_redis_client("127.0.0.1:1", "", 0, read_timeout=1, connect_timeout=0.5)
    try:
        yield RedisStreamChannel(
            client,
            stream=names.stream,
            group=names.group,
            dlq_stream=names.dlq_stream,
            dlq_group=names.dlq_group,
        )
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda q: q.publish([new_job()]), id="publish"),
        pytest.param(lambda q: q.ping(), id="ping"),
        pytest.param(
            lambda q: q.publish_dead([DeadLetter(uuid4(), "echo", 1, "x", datetime.now(UTC))]),
            id="publish_dead",
        ),
        pytest.param(lambda q: q.prepare(), id="ensure_groups"),
        pytest.param(lambda q: q.receive("consumer-1", ["normal"], 10, BLOCK_MS), id="receive"),
        pytest.param(lambda q: q.ack(["0-1"]), id="ack"),
        pytest.param(lambda q: q.receive_dead("cli-1", 10, BLOCK_MS), id="receive_dead"),
        pytest.param(lambda q: q.ack_dead(["0-1"]), id="ack_dead"),
    ],
)
async def test_unreachable_redis_raises_queue_unavailable(unreachable_queue, operation):
    with pytest.raises(ChannelUnavailable):
        await operation(unreachable_queue)
