from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from taskforge_adapters.redis.redis_stream_channel import channel_errors, queue_stream
from taskforge_app.ports.backlog import ChannelBacklog, InFlight


class RedisStreamBacklog(ChannelBacklog):
    """XPENDING in its summary form, one per queue's stream in one pipeline: its cost
    does not grow with the streams."""

    def __init__(self, client: Redis, *, stream: str, group: str) -> None:
        """`stream` is the `normal` queue's; the others' are named after it."""
        self._redis = client
        self._normal_stream = stream
        self._group = group

    async def in_flight(self, queues: Sequence[str]) -> dict[str, InFlight]:
        async with channel_errors():
            pipe = self._redis.pipeline(transaction=False)
            for queue in queues:
                pipe.xpending(queue_stream(self._normal_stream, queue), self._group)
            summaries: list[Any] = await pipe.execute(raise_on_error=False)
        pending: dict[str, InFlight] = {}
        for queue, summary in zip(queues, summaries, strict=True):
            if isinstance(summary, ResponseError):
                if "NOGROUP" not in str(summary):
                    raise summary
                # No group yet (no worker serves the queue, or Redis lost it): nothing is pending.
                summary = {"pending": 0}
            pending[queue] = InFlight(
                queue_stream(self._normal_stream, queue), int(summary["pending"])
            )
        return pending
