from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from taskforge_adapters.redis.redis_stream_queue import queue_errors, queue_stream
from taskforge_app.ports.backlog import StreamBacklog


class RedisStreamBacklog(StreamBacklog):
    """XPENDING in its summary form, one per queue's stream in one pipeline: its cost
    does not grow with the streams."""

    def __init__(self, client: Redis, *, stream: str, group: str) -> None:
        """`stream` is the `normal` queue's; the others' are named after it."""
        self._redis = client
        self._normal_stream = stream
        self._group = group

    def stream_of(self, queue: str) -> str:
        return queue_stream(self._normal_stream, queue)

    async def pending_entries(self, queues: Sequence[str]) -> dict[str, int]:
        async with queue_errors():
            pipe = self._redis.pipeline(transaction=False)
            for queue in queues:
                pipe.xpending(self.stream_of(queue), self._group)
            summaries: list[Any] = await pipe.execute(raise_on_error=False)
        pending: dict[str, int] = {}
        for queue, summary in zip(queues, summaries, strict=True):
            if isinstance(summary, ResponseError):
                if "NOGROUP" not in str(summary):
                    raise summary
                # No group yet (no worker serves the queue, or Redis lost it): nothing is pending.
                summary = {"pending": 0}
            pending[queue] = int(summary["pending"])
        return pending
