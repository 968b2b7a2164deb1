from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from taskforge_adapters.redis.redis_stream_queue import queue_errors
from taskforge_app.ports.backlog import StreamBacklog


class RedisStreamBacklog(StreamBacklog):
    """XPENDING in its summary form: one command whose cost does not grow with the stream."""

    def __init__(self, client: Redis, *, stream: str, group: str) -> None:
        self._redis = client
        self._stream = stream
        self._group = group

    @property
    def stream(self) -> str:
        return self._stream

    async def pending_entries(self) -> int:
        async with queue_errors():
            try:
                summary: Any = await self._redis.xpending(self._stream, self._group)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                # No group yet (no worker started, or Redis lost it): nothing is pending.
                return 0
        return int(summary["pending"])
