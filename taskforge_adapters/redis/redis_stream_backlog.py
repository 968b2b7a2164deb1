from collections.abc import Sequence
from typing import Any

from redis.exceptions import ResponseError

from taskforge_adapters.redis.redis_client import RedisClient
from taskforge_adapters.redis.redis_stream_channel import channel_errors
from taskforge_adapters.redis.stream_layout import StreamLayout
from taskforge_app.ports.backlog import ChannelBacklog, InFlight


class RedisStreamBacklog(ChannelBacklog):
    """XPENDING in its summary form, one per stream of each queue in one pipeline (on a
    cluster, one per node holding them): its cost does not grow with the streams. A
    partitioned queue's count is the sum over its partitions."""

    def __init__(
        self,
        client: RedisClient,
        *,
        stream: str,
        group: str,
        partitions: int = 1,
        cluster: bool = False,
    ) -> None:
        """`stream` is the `normal` queue's; the others' are named after it."""
        self._redis = client
        self._layout = StreamLayout(stream, partitions, cluster)
        self._group = group

    async def in_flight(self, queues: Sequence[str]) -> dict[str, InFlight]:
        streams = [(queue, stream) for queue in queues for stream in self._layout.streams_of(queue)]
        async with channel_errors():
            pipe = self._redis.pipeline(transaction=False)
            for _, stream in streams:
                pipe.xpending(stream, self._group)
            summaries: list[Any] = await pipe.execute(raise_on_error=False)
            pending = dict.fromkeys(queues, 0)
            for (queue, _), summary in zip(streams, summaries, strict=True):
                if isinstance(summary, ResponseError):
                    if "NOGROUP" not in str(summary):
                        raise summary
                    # No group yet (no worker serves the queue, or Redis lost it): nothing
                    # is pending.
                    continue
                pending[queue] += int(summary["pending"])
        return {queue: InFlight(self._where(queue), count) for queue, count in pending.items()}

    def _where(self, queue: str) -> str:
        streams = self._layout.streams_of(queue)
        return streams[0] if len(streams) == 1 else f"{streams[0]} .. {streams[-1]}"
