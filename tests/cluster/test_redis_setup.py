"""What a process finds wrong with Redis is told apart from an outage: a cluster client
pointed at a single Redis fails at start, naming the settings, and what the cluster
client finds wrong itself is an error, not a Redis to wait for; and processes that
disagree on the queues' layout do not both run."""

import asyncio
from uuid import uuid4

import pytest
from redis.exceptions import RedisClusterException

from taskforge_adapters.redis.redis_client import (
    RedisClient,
    create_cluster_client,
    create_redis_client,
)
from taskforge_adapters.redis.redis_setup import RedisSetupError, check_redis_setup, layout_key
from taskforge_adapters.redis.redis_stream_channel import channel_errors
from taskforge_adapters.redis.stream_layout import StreamLayout
from tests.conftest import Services
from tests.e2e.processes import taskforge


def standalone_address(services: Services) -> str:
    return services.redis_url.removeprefix("redis://").split("/")[0]


async def test_cluster_mode_against_a_single_redis_is_a_startup_error_naming_the_settings(
    test_services: Services,
) -> None:
    address = standalone_address(test_services)
    client = create_cluster_client(address, "", read_timeout=5)
    try:
        with pytest.raises(RedisSetupError) as raised:
            await check_redis_setup(client, StreamLayout("tftest:queue:normal", 4, True), address)
    finally:
        await client.aclose()

    assert "REDIS_CLUSTER=true" in str(raised.value)
    assert f"REDIS_ADDR={address}" in str(raised.value)


async def test_what_the_cluster_client_finds_wrong_itself_is_no_outage(
    test_services: Services,
) -> None:
    client = create_cluster_client(standalone_address(test_services), "", read_timeout=5)
    try:
        with pytest.raises(RedisClusterException, match="Cluster mode is not enabled"):
            async with channel_errors():
                await client.ping()
    finally:
        await client.aclose()


@pytest.mark.parametrize("on_cluster", [False, True], ids=["standalone", "cluster"])
async def test_a_process_that_disagrees_on_the_layout_refuses_to_start(
    test_services: Services, request: pytest.FixtureRequest, on_cluster: bool
) -> None:
    normal = f"{test_services.key_prefix}:layout-{uuid4().hex[:8]}:queue:normal"
    if on_cluster:
        address = request.getfixturevalue("redis_cluster").seeds
        client: RedisClient = create_cluster_client(address, "", read_timeout=5)
    else:
        address = standalone_address(test_services)
        client = create_redis_client(address, "", 0, read_timeout=5)
    try:
        first = StreamLayout(normal, 1, on_cluster)
        await check_redis_setup(client, first, address)
        await check_redis_setup(client, first, address)  # the same layout again: agreed
        with pytest.raises(RedisSetupError) as raised:
            await check_redis_setup(client, StreamLayout(normal, 4, on_cluster), address)
        recorded = await client.get(layout_key(first))
        await client.delete(layout_key(first))
    finally:
        await client.aclose()

    cluster = str(on_cluster).lower()
    assert recorded == f"QUEUE_PARTITIONS=1 REDIS_CLUSTER={cluster}".encode()
    message = str(raised.value)
    assert f"QUEUE_PARTITIONS=1 REDIS_CLUSTER={cluster}" in message
    assert f"QUEUE_PARTITIONS=4 REDIS_CLUSTER={cluster}" in message
    assert f"delete the key {layout_key(first)}" in message
    assert "drain" in message


async def test_a_worker_in_cluster_mode_against_a_single_redis_stops_with_one_line(
    test_services: Services,
) -> None:
    env = test_services.environment(await test_services.create_database(), REDIS_CLUSTER="true")

    result = await asyncio.to_thread(taskforge, "worker", env=env)

    assert result.returncode == 1, result.stderr
    line = result.stderr.strip().splitlines()[-1]  # the log lines before it are JSON
    assert line.startswith("taskforge worker: REDIS_CLUSTER=true")
    assert "REDIS_ADDR=" in line
