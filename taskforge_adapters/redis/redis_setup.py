"""What a process checks of Redis before it uses it: that REDIS_CLUSTER matches the
server, and that every process lays the queues out alike."""

from typing import Any

from redis.asyncio import RedisCluster
from redis.exceptions import RedisClusterException

from taskforge_adapters.redis.redis_client import RedisClient
from taskforge_adapters.redis.redis_stream_channel import channel_errors
from taskforge_adapters.redis.stream_layout import StreamLayout


class RedisSetupError(Exception):
    """Redis is not what this process's settings say: an operator fixes it, waiting does
    not."""


def layout_key(layout: StreamLayout) -> str:
    """Where the first process to start records the layout: beside the queues' streams."""
    return f"{layout.normal_stream.removesuffix(':queue:normal')}:layout"


def _describe(partitions: int, cluster: bool) -> str:
    return f"QUEUE_PARTITIONS={partitions} REDIS_CLUSTER={str(cluster).lower()}"


async def check_redis_setup(client: RedisClient, layout: StreamLayout, address: str) -> None:
    """Raise RedisSetupError on a mismatch; ChannelUnavailable while Redis cannot say."""
    if isinstance(client, RedisCluster):
        await _check_cluster_mode(client, address)
    await _check_layout(client, layout)


async def _check_cluster_mode(client: RedisCluster, address: str) -> None:
    async with channel_errors():
        try:
            await client.initialize()
        except RedisClusterException as exc:
            if "Cluster mode is not enabled" not in str(exc):
                raise
            raise RedisSetupError(
                f"REDIS_CLUSTER=true, but the Redis at REDIS_ADDR={address} is not in cluster"
                " mode: set REDIS_CLUSTER=false for a single Redis, or list the cluster's"
                " nodes in REDIS_ADDR"
            ) from exc


async def _check_layout(client: RedisClient, layout: StreamLayout) -> None:
    """Processes that disagree on the partitions publish to streams others never read:
    those jobs would wait for good. The first process records its layout; the others
    must match it."""
    key = layout_key(layout)
    ours = _describe(layout.partitions, layout.cluster)
    async with channel_errors():
        if await client.set(key, ours, nx=True):
            return
        raw: Any = await client.get(key)
    recorded = None if raw is None else raw.decode()
    if recorded is None or recorded == ours:
        return  # deleted between the two commands: the next start records it anew
    raise RedisSetupError(
        f"Redis holds queues laid out for {recorded} (key {key}), but this process"
        f" has {ours}; processes that disagree strand jobs on streams nobody reads. To change"
        f" the layout: stop every process, let the queues drain, delete the key {key}, and"
        " start them all with the new settings"
    )
