"""What a process checks of Redis before it uses it: that REDIS_CLUSTER matches the
server."""

from redis.asyncio import RedisCluster
from redis.exceptions import RedisClusterException

from taskforge_adapters.redis.redis_client import RedisClient
from taskforge_adapters.redis.redis_stream_channel import channel_errors
from taskforge_adapters.redis.stream_layout import StreamLayout


class RedisSetupError(Exception):
    """Redis is not what this process's settings say: an operator fixes it, waiting does
    not."""


async def check_redis_setup(client: RedisClient, layout: StreamLayout, address: str) -> None:
    """Raise RedisSetupError on a mismatch; ChannelUnavailable while Redis cannot say."""
    if isinstance(client, RedisCluster):
        await _check_cluster_mode(client, address)
    del layout  # not checked yet


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
