"""The Redis adapters on the local cluster, where partitions matter: a waiting worker
wakes for a job on any partition, what one wait answers beyond its count is kept for the
next, a read waiting on a slot that moves carries on, the backlog adds its partitions up,
and the submit rate's script runs on a cluster."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
import pytest_asyncio
from redis import asyncio as aioredis

from taskforge_adapters.redis.redis_client import RedisClient, create_cluster_client
from taskforge_adapters.redis.redis_stream_backlog import RedisStreamBacklog
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_adapters.redis.redis_submit_quota import RedisSubmitQuota
from taskforge_adapters.redis.stream_layout import StreamLayout
from taskforge_app.ports import ChannelUnavailable, Delivery
from tests.cluster.conftest import PARTITIONS
from tests.conftest import Services
from tests.contracts.builders import new_job
from tests.redis_cluster import LocalCluster

QUEUES = ("high", "normal", "low")
WAIT_MS = 5_000


async def cluster_channel(client: RedisClient) -> RedisStreamChannel:
    base = f"tfcluster:{uuid4().hex[:12]}"
    channel = RedisStreamChannel(
        client,
        stream=f"{base}:queue:normal",
        group="workers",
        dlq_stream=f"{base}:dlq",
        dlq_group="dlq",
        queues=QUEUES,
        served=QUEUES,
        partitions=PARTITIONS,
        cluster=True,
    )
    await channel.prepare()
    return channel


@pytest_asyncio.fixture
async def client(redis_cluster: LocalCluster) -> AsyncIterator[RedisClient]:
    cluster_client = create_cluster_client(redis_cluster.seeds, "", read_timeout=10)
    yield cluster_client
    await cluster_client.aclose()


@pytest_asyncio.fixture
async def channel(client: RedisClient) -> AsyncIterator[RedisStreamChannel]:
    created = await cluster_channel(client)
    yield created
    await created.aclose()


async def test_partitions_of_one_queue_lie_in_different_slots_of_every_master(
    channel: RedisStreamChannel, redis_cluster: LocalCluster
) -> None:
    streams = channel.layout.streams_of("normal")
    slots = [redis_cluster.slot_of(stream) for stream in streams]

    assert len(set(slots)) == PARTITIONS
    assert {redis_cluster.master_of(slot) for slot in slots} == set(redis_cluster.masters())
    # Partition p of every queue shares one slot, so one XREADGROUP reads them together.
    for partition, slot in enumerate(slots):
        assert {redis_cluster.slot_of(channel.layout.stream(q, partition)) for q in QUEUES} == {
            slot
        }


@pytest.mark.parametrize("partitions", [3, 4, 6])
async def test_partitions_spread_evenly_over_the_masters(
    redis_cluster: LocalCluster, partitions: int
) -> None:
    layout = StreamLayout("taskforge:queue:normal", partitions, cluster=True)
    masters = [redis_cluster.master_of(redis_cluster.slot_of(s)) for s in layout.streams_of("high")]

    per_master = Counter(masters)

    assert set(per_master) == set(redis_cluster.masters())
    assert max(per_master.values()) - min(per_master.values()) <= 1


async def test_a_waiting_receive_wakes_for_a_job_on_any_partition(
    channel: RedisStreamChannel,
) -> None:
    for _ in range(PARTITIONS):
        waiting = asyncio.ensure_future(channel.receive("worker-1", list(QUEUES), 10, WAIT_MS))
        await asyncio.sleep(0.1)  # the reads are waiting; published earlier, the sweep finds it
        job = new_job(queue="low")
        started = asyncio.get_running_loop().time()
        await channel.publish([job])  # round robin: each turn lands on the next partition

        received = await asyncio.wait_for(waiting, WAIT_MS / 2000)

        assert [d.job_id for d in received] == [job.id]
        assert asyncio.get_running_loop().time() - started < 1.0
        await channel.ack([d.message_id for d in received])


async def test_what_one_wait_answers_beyond_its_count_comes_first_next_time(
    client: RedisClient,
) -> None:
    publisher, reader = await cluster_channel(client), None
    try:
        reader = RedisStreamChannel(
            client,
            stream=publisher.layout.normal_stream,
            group="workers",
            dlq_stream="unused",
            dlq_group="unused",
            queues=QUEUES,
            served=QUEUES,
            partitions=PARTITIONS,
            cluster=True,
        )
        waiting = asyncio.ensure_future(reader.receive("worker-1", ["normal"], 1, WAIT_MS))
        await asyncio.sleep(0.2)
        jobs = [new_job() for _ in range(PARTITIONS)]
        await publisher.publish(jobs)

        first = await asyncio.wait_for(waiting, WAIT_MS / 1000)
        rest: list[Delivery] = []
        while len(first) + len(rest) < len(jobs):
            rest += await asyncio.wait_for(reader.receive("worker-1", ["normal"], 1, 200), 3)

        assert len(first) == 1
        received = {d.job_id for d in [*first, *rest]}
        assert received == {job.id for job in jobs}
    finally:
        await publisher.aclose()
        if reader is not None:
            await reader.aclose()


async def test_a_wait_for_one_message_covers_every_queue_named(
    channel: RedisStreamChannel,
) -> None:
    job = new_job()
    await channel.publish([job])

    received = await asyncio.wait_for(channel.receive("worker-1", ["high", "normal"], 1, 1500), 5)

    assert [d.job_id for d in received] == [job.id]


async def test_no_blocking_read_outlives_the_receive_that_made_it(
    channel: RedisStreamChannel, client: RedisClient
) -> None:
    waiting = asyncio.ensure_future(channel.receive("worker-1", ["normal"], 1, WAIT_MS))
    await asyncio.sleep(0.2)  # the reads are waiting; published earlier, the sweep finds it
    await channel.publish([new_job()])
    [first] = await asyncio.wait_for(waiting, WAIT_MS / 1000)

    later = [new_job() for _ in range(PARTITIONS - 1)]
    await channel.publish(later)  # onto the partitions whose reads were woken
    taken = await channel.receive("worker-2", ["normal"], 10, None)

    assert {d.job_id for d in taken} == {job.id for job in later}
    assert [d.message_id for d in await channel.unacknowledged("worker-1", 10)] == [
        first.message_id
    ]


async def test_a_cancelled_receive_leaves_no_read_blocked(channel: RedisStreamChannel) -> None:
    waiting = asyncio.ensure_future(channel.receive("worker-1", ["normal"], 10, WAIT_MS))
    await asyncio.sleep(0.2)  # the reads are waiting
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    jobs = [new_job() for _ in range(PARTITIONS)]
    await channel.publish(jobs)
    taken = await channel.receive("worker-2", ["normal"], 10, None)

    assert {d.job_id for d in taken} == {job.id for job in jobs}
    assert await channel.remove_consumer("worker-1")


async def test_a_read_waiting_on_a_slot_that_moves_carries_on_at_the_new_master(
    own_cluster: LocalCluster,
) -> None:
    client = create_cluster_client(own_cluster.seeds, "", read_timeout=10)
    channel = await cluster_channel(client)
    try:
        slot = own_cluster.slot_of(channel.layout.stream("normal", 0))
        target = next(port for port in own_cluster.masters() if port != own_cluster.master_of(slot))
        waiting = asyncio.ensure_future(channel.receive("worker-1", list(QUEUES), 10, 1_000))
        await asyncio.sleep(0.1)

        assert await asyncio.to_thread(own_cluster.move_slot, slot, target) >= 1
        await asyncio.wait_for(waiting, 5)
        jobs = [new_job() for _ in range(PARTITIONS)]
        await channel.publish(jobs)
        received: list[Delivery] = []
        while len(received) < len(jobs):
            # The reads still waiting on the other partitions take their jobs first.
            received += await asyncio.wait_for(
                channel.receive("worker-1", list(QUEUES), 10, 1_000), 5
            )

        assert own_cluster.master_of(slot) == target
        assert {d.job_id for d in received} == {job.id for job in jobs}
        await channel.ack([d.message_id for d in received])
        assert await channel.job_ids_in_transit() == set()
    finally:
        await channel.aclose()
        await client.aclose()


async def test_the_backlog_adds_up_every_partition_of_a_queue(
    channel: RedisStreamChannel, client: RedisClient
) -> None:
    backlog = RedisStreamBacklog(
        client,
        stream=channel.layout.normal_stream,
        group="workers",
        partitions=PARTITIONS,
        cluster=True,
    )
    await channel.publish([new_job() for _ in range(2 * PARTITIONS)])
    received = await channel.receive("worker-1", ["normal"], 100, None)

    in_flight = await backlog.in_flight(list(QUEUES))

    assert len(received) == 2 * PARTITIONS
    assert {q: f.count for q, f in in_flight.items()} == {"high": 0, "normal": 8, "low": 0}


async def test_the_submit_rate_is_counted_on_a_cluster(client: RedisClient) -> None:
    quota = RedisSubmitQuota(client, f"tfcluster:{uuid4().hex[:12]}")

    taken = [await quota.take("key-1", 3, 5), await quota.take("key-1", 3, 5)]
    other = await quota.take("key-2", 5, 5)

    assert taken[0] is None
    assert taken[1] is not None
    assert 0 < taken[1] <= 1, "a second of Redis's clock at most"
    assert other is None


async def test_a_shard_lost_with_its_replica_is_an_outage_until_it_is_back(
    own_cluster: LocalCluster,
) -> None:
    client = create_cluster_client(own_cluster.seeds, "", read_timeout=10)
    channel = await cluster_channel(client)
    try:
        master = own_cluster.master_of(own_cluster.slot_of(channel.layout.stream("normal", 0)))
        shard = [master, *own_cluster.replicas_of(master)]
        for port in shard:
            own_cluster.kill(port)

        during = [new_job() for _ in range(PARTITIONS)]
        with pytest.raises(ChannelUnavailable):
            await asyncio.wait_for(channel.publish(during), 30)
        # The partitions on the live shards may have taken their messages of the failed
        # publish: its jobs stay pending in PostgreSQL, and the messages the repair adds
        # are duplicates the claim skips. They are handed out; then the outage shows.
        try:
            live = await asyncio.wait_for(channel.receive("worker-1", list(QUEUES), 10, None), 30)
        except ChannelUnavailable:
            live = []
        assert {d.job_id for d in live} <= {j.id for j in during}
        with pytest.raises(ChannelUnavailable):
            await asyncio.wait_for(channel.receive("worker-1", list(QUEUES), 10, None), 30)

        for port in shard:
            await asyncio.to_thread(own_cluster.restart, port)
        await asyncio.to_thread(own_cluster.wait_until_healthy)
        await channel.prepare()  # the shard came back empty: its streams and groups anew
        job = new_job()
        await channel.publish([job])
        received = {d.job_id for d in await channel.receive("worker-1", list(QUEUES), 10, None)}
        assert received - {job.id} <= {j.id for j in during}
    finally:
        await channel.aclose()
        await client.aclose()


async def test_a_lost_shard_withholds_none_of_what_the_live_shards_delivered(
    own_cluster: LocalCluster,
) -> None:
    client = create_cluster_client(own_cluster.seeds, "", read_timeout=10)
    channel = await cluster_channel(client)
    try:
        jobs = [new_job() for _ in range(PARTITIONS)]
        await channel.publish(jobs)  # round robin: one on each partition
        lost = own_cluster.master_of(own_cluster.slot_of(channel.layout.stream("normal", 0)))
        masters = [
            own_cluster.master_of(own_cluster.slot_of(stream))
            for stream in channel.layout.streams_of("normal")
        ]
        on_live_shards = {j.id for j, master in zip(jobs, masters, strict=True) if master != lost}
        assert on_live_shards, "the partitions lie on more than one shard"
        for port in own_cluster.ports:
            # Else the live masters too answer CLUSTERDOWN once the lost one is marked failed.
            with own_cluster.node(port) as node:
                node.config_set("cluster-require-full-coverage", "no")
        for port in [lost, *own_cluster.replicas_of(lost)]:
            own_cluster.kill(port)

        received = await asyncio.wait_for(channel.receive("worker-1", list(QUEUES), 10, None), 30)
        taken = await asyncio.wait_for(channel.reclaim_idle("worker-2", 0, 10), 30)

        assert {d.job_id for d in received} == on_live_shards
        assert {d.job_id for d in taken} == on_live_shards
    finally:
        await channel.aclose()
        await client.aclose()


async def test_what_a_wait_brought_beyond_its_count_goes_only_to_a_read_of_its_queue(
    redis_client: aioredis.Redis, test_services: Services
) -> None:
    # One Redis runs the whole pipeline before it answers: every partition's read takes a job.
    base = f"{test_services.key_prefix}:surplus-{uuid4().hex[:8]}"
    channel = RedisStreamChannel(
        redis_client,
        stream=f"{base}:queue:normal",
        group="workers",
        dlq_stream=f"{base}:dlq",
        dlq_group="dlq",
        queues=QUEUES,
        served=QUEUES,
        partitions=PARTITIONS,
    )
    await channel.prepare()
    try:
        waiting = asyncio.ensure_future(channel.receive("worker-1", ["normal"], 1, WAIT_MS))
        await asyncio.sleep(0.2)  # the reads are waiting
        jobs = [new_job() for _ in range(PARTITIONS)]
        await channel.publish(jobs)
        first = await asyncio.wait_for(waiting, WAIT_MS / 1000)

        other_queue = await channel.receive("worker-1", ["high"], 10, None)
        rest = await channel.receive("worker-1", ["normal"], 10, None)

        assert len(first) == 1
        assert other_queue == []
        assert {d.job_id for d in [*first, *rest]} == {job.id for job in jobs}
    finally:
        await channel.aclose()
