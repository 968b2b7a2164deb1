import logging

from taskforge_adapters.redis.redis_client import RedisClient
from taskforge_adapters.redis.redis_stream_channel import channel_errors
from taskforge_app.ports import ChannelUnavailable
from taskforge_app.ports.submit_quota import SubmitQuota

log = logging.getLogger(__name__)

# One window per second of Redis's own clock, so API processes on hosts whose clocks
# disagree still share it. One hash per key holds the window and its count: a script
# touching only its KEYS stays in one slot on a cluster.
_TAKE = """
local now = redis.call('TIME')
local window = tonumber(now[1])
local held = redis.call('HMGET', KEYS[1], 'window', 'count')
local count = 0
if tonumber(held[1]) == window then count = tonumber(held[2]) end
local wanted, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if count + wanted > limit then return 1000000 - tonumber(now[2]) end
redis.call('HSET', KEYS[1], 'window', window, 'count', count + wanted)
redis.call('EXPIRE', KEYS[1], 2)
return -1
"""


class RedisSubmitQuota(SubmitQuota):
    """A fixed one-second window per key, counted in Redis by every API process."""

    def __init__(self, client: RedisClient, key_prefix: str) -> None:
        self._take = client.register_script(_TAKE)
        self._prefix = f"{key_prefix}:submit-rate:"

    async def take(self, holder: str, jobs: int, per_second: int) -> float | None:
        try:
            async with channel_errors():
                wait_us = int(
                    await self._take(keys=[self._prefix + holder], args=[jobs, per_second])
                )
        except ChannelUnavailable as exc:
            # Fail open: the limit guards against a noisy key, and refusing every submit
            # while Redis is away would turn its outage into lost work for the caller;
            # the jobs are stored and the repair pass publishes them.
            log.warning("submit rate not checked: %s", exc)
            return None
        return None if wait_us < 0 else wait_us / 1e6
