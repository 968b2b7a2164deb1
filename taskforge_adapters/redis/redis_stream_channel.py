import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import RedisCluster
from redis.exceptions import (
    AskError,
    ClusterError,
    RedisClusterException,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from taskforge_adapters.redis.redis_client import RedisClient
from taskforge_adapters.redis.stream_layout import NORMAL, StreamLayout, queue_stream
from taskforge_adapters.redis.unblockable_read import UnblockableRead
from taskforge_app.ports import (
    ChannelUnavailable,
    ConsumerTakeover,
    DeadLetter,
    DeadLetterFollower,
    DeadLetterPublisher,
    Delivery,
    MessagesInTransit,
    Probe,
    WorkConsumer,
    WorkPublisher,
)
from taskforge_domain.job import Job

# A cluster that lost a shard answers CLUSTERDOWN (a ClusterError) until a replica takes
# over; a client that cannot map a slot to a node says so: both are outages, not bugs.
_UNREACHABLE = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    ClusterError,
    SlotNotCoveredError,
    TryAgainError,
)
# The other RedisClusterExceptions are the client's own findings (keys in several slots,
# "Cluster mode is not enabled on this node"): retried, they would fail for ever. These
# two are what it says while it cannot reach any node, or while the nodes disagree on
# the slots during a failover.
_CLUSTER_OUT_OF_REACH = ("Redis Cluster cannot be connected", "startup_nodes could not agree")
_NOT_A_CLUSTER = "Cluster mode is not enabled"

log = logging.getLogger(__name__)

__all__ = ["NORMAL", "RedisStreamChannel", "channel_errors", "queue_stream"]


@asynccontextmanager
async def channel_errors() -> AsyncIterator[None]:
    try:
        yield
    except _UNREACHABLE as exc:
        raise ChannelUnavailable(f"Redis unavailable: {type(exc).__name__}: {exc}") from exc
    except RedisClusterException as exc:
        # "cannot be connected" also ends with why: a node that is no cluster is no outage.
        if not str(exc).startswith(_CLUSTER_OUT_OF_REACH) or _NOT_A_CLUSTER in str(exc):
            raise
        raise ChannelUnavailable(f"Redis unavailable: {type(exc).__name__}: {exc}") from exc


def _delivery(receipt: str, fields: dict[bytes, bytes], queue: str = NORMAL) -> Delivery:
    try:
        job_id: UUID | None = UUID(fields[b"job_id"].decode())
    except (KeyError, ValueError, UnicodeDecodeError):
        job_id = None
    return Delivery(receipt, job_id, queue)


def _no_such_group(exc: ResponseError) -> bool:
    """A queue's stream that was never written has no group either: nothing is pending."""
    return "NOGROUP" in str(exc) or "requires the key to exist" in str(exc)


def _dead_letter(fields: dict[bytes, bytes]) -> DeadLetter | None:
    try:
        dead_at = datetime.fromisoformat(fields[b"dead_at"].decode())
        return DeadLetter(
            job_id=UUID(fields[b"job_id"].decode()),
            job_type=fields.get(b"job_type", b"").decode(),
            attempt=int(fields[b"attempt"]),
            last_error=fields.get(b"last_error", b"").decode(errors="replace"),
            dead_at=dead_at if dead_at.tzinfo else dead_at.replace(tzinfo=UTC),
            webhook_delivery=_webhook_delivery(fields),
        )
    except (KeyError, ValueError, UnicodeDecodeError):
        return None


def _webhook_delivery(fields: dict[bytes, bytes]) -> int | None:
    if fields.get(b"kind") != b"webhook":
        return None
    return int(fields[b"webhook_delivery"])


class RedisStreamChannel(
    WorkPublisher,
    WorkConsumer,
    ConsumerTakeover,
    MessagesInTransit,
    DeadLetterPublisher,
    DeadLetterFollower,
    Probe,
):
    """The delivery channel on Redis Streams: each queue's streams (stream_layout.py), read
    by one consumer group, and a dead-letter stream with a group of its own. `normal` is
    `stream`; another queue q is the same name with its last `:normal` replaced by `:q`
    (`taskforge:queue:high`). `served` are the queues this process's workers read.

    Every command touches one slot: one stream, or partition p of several queues, which
    share partition p's hash tag; a pipeline spanning slots is split by the cluster client
    into one per node."""

    def __init__(
        self,
        client: RedisClient,
        *,
        stream: str,
        group: str,
        dlq_stream: str,
        dlq_group: str,
        queues: Sequence[str] = (NORMAL,),
        served: Sequence[str] = (NORMAL,),
        partitions: int = 1,
        cluster: bool = False,
    ) -> None:
        self._redis = client
        self._layout = StreamLayout(stream, partitions, cluster)
        self._group = group
        self._dlq_stream = dlq_stream
        self._dlq_group = dlq_group
        self._queues = list(dict.fromkeys([NORMAL, *queues]))
        self._served = list(dict.fromkeys(served))
        self._partitions = range(partitions)
        self._spread = itertools.cycle(self._partitions)
        self._first_read = itertools.cycle(self._partitions)
        # Partitioned: the blocking reads of the call under way, and what they answered
        # beyond the count a caller asked for.
        self._waiting: dict[int, asyncio.Task[list[Delivery]]] = {}
        self._surplus: list[Delivery] = []

    @property
    def layout(self) -> StreamLayout:
        return self._layout

    def stream_of(self, queue: str) -> str:
        """The queue's first (unpartitioned: only) stream."""
        return self._layout.stream(queue)

    def _streams(self, queues: Sequence[str]) -> list[tuple[str, int, str]]:
        return [
            (queue, partition, self._layout.stream(queue, partition))
            for queue in queues
            for partition in self._partitions
        ]

    async def publish(self, jobs: Sequence[Job]) -> None:
        async with channel_errors():
            pipe = self._redis.pipeline(transaction=False)
            for job in jobs:
                fields = {"job_id": str(job.id), "job_type": job.job_type}
                stream = self._layout.stream(job.queue, next(self._spread))
                pipe.xadd(stream, fields)  # type: ignore[arg-type]
            await pipe.execute()

    async def publish_dead(self, letters: Sequence[DeadLetter]) -> None:
        async with channel_errors():
            pipe = self._redis.pipeline(transaction=False)
            for letter in letters:
                fields: dict[str, str | int] = {
                    "job_id": str(letter.job_id),
                    "job_type": letter.job_type,
                    "attempt": letter.attempt,
                    "last_error": letter.last_error,
                    "dead_at": letter.dead_at.isoformat().replace("+00:00", "Z"),
                }
                if letter.webhook_delivery is not None:
                    # A completion webhook that was never delivered, not a dead job.
                    fields["kind"] = "webhook"
                    fields["webhook_delivery"] = letter.webhook_delivery
                pipe.xadd(self._dlq_stream, fields)  # type: ignore[arg-type]
            await pipe.execute()

    async def prepare(self) -> None:
        async with channel_errors():
            groups = [(stream, self._group) for _, _, stream in self._streams(self._served)]
            for stream, group in [*groups, (self._dlq_stream, self._dlq_group)]:
                try:
                    await self._redis.xgroup_create(stream, group, id="0", mkstream=True)
                except ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    async def receive(
        self, consumer: str, queues: Sequence[str], count: int, block_ms: int | None
    ) -> list[Delivery]:
        if not self._layout.partitioned:
            return await self._read(consumer, queues, 0, count, block_ms)
        found = self._take_surplus(queues, count)
        if len(found) < count:
            try:
                found += await self._sweep(consumer, queues, count - len(found))
            except BaseException:
                # Delivered already: handed out by the next call instead of stranded in
                # the pending list until its lease runs out.
                self._surplus[:0] = found
                raise
        if found or block_ms is None:
            return found
        return await self._wait_on_every_partition(consumer, queues, count, block_ms)

    async def _read(
        self, consumer: str, queues: Sequence[str], partition: int, count: int, block_ms: int | None
    ) -> list[Delivery]:
        # XREADGROUP's COUNT holds per stream, so one read of several streams shares count
        # out between them (the first ones in the order, when there are more streams than
        # count): never more than count in all, in one round trip.
        sharing = list(queues)[: max(count, 1)]
        streams = {self._layout.stream(queue, partition): queue for queue in sharing}
        per_stream = max(count // len(sharing), 1)
        async with channel_errors(), self._recreating_lost_groups():
            reply: Any = await self._xreadgroup(
                self._group, consumer, dict.fromkeys(streams, ">"), per_stream, block_ms
            )
            return self._deliveries(reply, streams, partition)
        return []

    def _deliveries(self, reply: Any, streams: dict[str, str], partition: int) -> list[Delivery]:
        """The messages of an XREADGROUP reply over `streams` (stream name: queue)."""
        return [
            _delivery(self._layout.receipt(queue, partition, message_id.decode()), fields, queue)
            for stream, entries in reply or []
            for queue in [streams[stream.decode()]]
            for message_id, fields in entries
        ]

    async def _xreadgroup(
        self, group: str, consumer: str, streams: dict[Any, Any], count: int, block_ms: int | None
    ) -> Any:
        if not isinstance(self._redis, RedisCluster):
            return await self._redis.xreadgroup(
                group, consumer, streams, count=count, block=block_ms
            )
        # XREADGROUP's keys are not at a fixed place, so the cluster client asks its default
        # node for them (COMMAND GETKEYS), and fails every read while that node is down.
        # Every read here names one slot: its node is known without asking.
        node = self._redis.get_node_from_key(next(iter(streams)))
        command: list[str | int] = ["XREADGROUP", "GROUP", group, consumer, "COUNT", count]
        if block_ms is not None:
            command += ["BLOCK", block_ms]
        command += ["STREAMS", *streams, *streams.values()]
        return await self._redis.execute_command(*command, target_nodes=node)

    async def _sweep(self, consumer: str, queues: Sequence[str], count: int) -> list[Delivery]:
        """Every partition once without waiting, from a different one each time, so no
        partition is read only after the others are empty."""
        found: list[Delivery] = []
        failure: ChannelUnavailable | None = None
        first = next(self._first_read)
        for step in self._partitions:
            partition = (first + step) % len(self._partitions)
            try:
                found += await self._read(consumer, queues, partition, count - len(found), None)
            except ChannelUnavailable as exc:
                # One shard down is no reason to withhold what the others delivered.
                failure = exc
                continue
            if len(found) >= count:
                break
        if failure is not None and not found:
            raise failure
        return found

    def _take_surplus(self, queues: Sequence[str], count: int) -> list[Delivery]:
        """Up to count of the deliveries kept from earlier reads that belong to `queues`."""
        wanted = set(queues)
        taken = [delivery for delivery in self._surplus if delivery.queue in wanted][:count]
        kept = {id(delivery) for delivery in taken}
        self._surplus = [delivery for delivery in self._surplus if id(delivery) not in kept]
        return taken

    async def _wait_on_every_partition(
        self, consumer: str, queues: Sequence[str], count: int, block_ms: int
    ) -> list[Delivery]:
        """One blocking read per partition at once, each naming every requested queue,
        answered as soon as one of them is. The others are then woken (CLIENT UNBLOCK)
        and read to the end rather than cut short, since a read cut short may already
        have delivered messages to this consumer; what they brought in the meantime is
        kept for the next call. No read outlives the call: none holds messages the
        worker did not ask for, or reads a queue paused since."""
        reads = {
            partition: UnblockableRead(self._redis, self._layout.stream(queues[0], partition))
            for partition in self._partitions
        }
        waits = {
            partition: asyncio.create_task(
                self._blocking_read(read, consumer, queues, partition, count, block_ms)
            )
            for partition, read in reads.items()
        }
        self._waiting.update(waits)
        try:
            await asyncio.wait(waits.values(), return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Cancelled too (a worker stopping): its membership of the group is removed
            # next, which must not race a read still blocked on its behalf.
            await asyncio.gather(*(reads[p].wake(task) for p, task in waits.items()))
            failure = self._harvest_waits()
        found = self._take_surplus(queues, count)
        if failure is not None and not found:
            raise failure
        return found

    async def _blocking_read(
        self,
        read: UnblockableRead,
        consumer: str,
        queues: Sequence[str],
        partition: int,
        count: int,
        block_ms: int,
    ) -> list[Delivery]:
        streams = {self._layout.stream(queue, partition): queue for queue in queues}
        per_stream = max(count // len(streams), 1)
        async with channel_errors(), self._recreating_lost_groups():
            try:
                reply: Any = await read.xreadgroup(
                    self._group, consumer, dict.fromkeys(streams, ">"), per_stream, block_ms
                )
            except AskError:
                # The slot moved before this read reached it; the next sweep, through
                # the cluster client, learns where it is now.
                return []
            return self._deliveries(reply, streams, partition)
        return []

    def _harvest_waits(self) -> BaseException | None:
        """Move what the blocking reads that answered delivered to the surplus; the
        error of one that failed, if any (the others' messages are kept)."""
        failure: BaseException | None = None
        for partition, task in list(self._waiting.items()):
            if not task.done():
                continue
            del self._waiting[partition]
            if task.cancelled():
                continue
            if (error := task.exception()) is not None:
                failure = error
                continue
            self._surplus += task.result()
        return failure

    async def reclaim_idle(
        self, consumer: str, min_idle_ms: int, count: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        taken: list[Delivery] = []
        failure: ChannelUnavailable | None = None
        served = [queue for queue in self._served if queue not in skip]
        for queue, partition, stream in self._streams(served):
            try:
                taken += await self._take_over(
                    queue, partition, stream, consumer, min_idle_ms, count - len(taken)
                )
            except ChannelUnavailable as exc:
                # What the live shards' streams gave this consumer is its own now: were
                # it dropped, it would wait another lease before anyone took it again.
                failure = exc
                continue
            if len(taken) >= count:
                break
        if failure is not None and not taken:
            raise failure
        return taken

    async def _take_over(
        self, queue: str, partition: int, stream: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        async with channel_errors(), self._recreating_lost_groups():
            reply: Any = await self._redis.xautoclaim(
                stream, self._group, consumer, min_idle_ms, "0-0", count=count
            )
            # Redis 7 drops entries deleted while pending from the PEL itself (reply[2]).
            return [
                _delivery(self._layout.receipt(queue, partition, raw.decode()), fields, queue)
                for raw, fields in reply[1]
            ]
        return []

    async def unacknowledged(self, consumer: str, count: int) -> list[Delivery]:
        left: list[Delivery] = []
        async with channel_errors():
            for queue, partition, stream in self._streams(self._queues):
                try:
                    # Reading from id 0 answers from the consumer's own pending list: no
                    # new message is delivered, and one deleted meanwhile comes back
                    # without fields, so it is acknowledged as malformed.
                    reply: Any = await self._xreadgroup(
                        self._group, consumer, {stream: "0"}, count - len(left), None
                    )
                except ResponseError as exc:
                    if not _no_such_group(exc):
                        raise
                    continue
                left += [
                    _delivery(
                        self._layout.receipt(queue, partition, raw.decode()), fields or {}, queue
                    )
                    for _, entries in reply or []
                    for raw, fields in entries
                ]
                if len(left) >= count:
                    break
        return left

    async def remove_consumer(self, consumer: str) -> bool:
        async with channel_errors():
            streams = [stream for _, _, stream in self._streams(self._queues)]
            for stream in streams:
                if await self._pending_of(stream, consumer):
                    return False
            for stream in streams:
                try:
                    await self._redis.xgroup_delconsumer(stream, self._group, consumer)
                except ResponseError as exc:
                    if not _no_such_group(exc):
                        raise
        return True

    async def _pending_of(self, stream: str, consumer: str) -> bool:
        try:
            reply: Any = await self._redis.xpending_range(
                stream, self._group, min="-", max="+", count=1, consumername=consumer
            )
        except ResponseError as exc:
            if not _no_such_group(exc):
                raise
            return False
        return bool(reply)

    async def ack(self, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        by_stream: dict[str, list[str]] = {}
        for receipt in message_ids:
            stream, message_id = self._layout.from_receipt(receipt)
            by_stream.setdefault(stream, []).append(message_id)
        async with channel_errors():
            pipe = self._redis.pipeline(transaction=False)
            for stream, ids in by_stream.items():
                pipe.xack(stream, self._group, *ids)
                pipe.xdel(stream, *ids)
            await pipe.execute()

    async def receive_dead(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, DeadLetter]]:
        async with channel_errors(), self._recreating_lost_groups():
            reply: Any = await self._xreadgroup(
                self._dlq_group, consumer, {self._dlq_stream: ">"}, count, block_ms
            )
            if not reply:
                return []
            letters: list[tuple[str, DeadLetter]] = []
            unreadable: list[str] = []
            for raw_id, fields in reply[0][1]:
                letter = _dead_letter(fields)
                if letter is None:
                    unreadable.append(raw_id.decode())
                else:
                    letters.append((raw_id.decode(), letter))
            if unreadable:
                # No reader can ever show them; left pending they would stay there for good.
                log.warning("acknowledged unreadable dead-letter entries %s", unreadable)
                await self._redis.xack(self._dlq_stream, self._dlq_group, *unreadable)
            return letters
        return []

    async def ack_dead(self, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        async with channel_errors():
            await self._redis.xack(self._dlq_stream, self._dlq_group, *message_ids)

    async def job_ids_in_transit(self) -> set[UUID]:
        found: set[UUID] = set()
        async with channel_errors():
            for _, _, stream in self._streams(self._queues):
                found |= await self._job_ids_in(stream)
        return found

    async def _job_ids_in(self, stream: str) -> set[UUID]:
        found: set[UUID] = set()
        start = "-"
        while True:
            entries: Any = await self._redis.xrange(stream, start, "+", count=1000)
            for message_id, fields in entries:
                delivery = _delivery(message_id.decode(), fields)
                if delivery.job_id is not None:
                    found.add(delivery.job_id)
            if len(entries) < 1000:
                return found
            start = "(" + entries[-1][0].decode()

    @asynccontextmanager
    async def _recreating_lost_groups(self) -> AsyncIterator[None]:
        try:
            yield
        except ResponseError as exc:
            if str(exc).startswith("UNBLOCKED"):
                # A blocking read whose stream left the node (its slot migrated to another
                # master, or it was deleted): the next read finds it where it now is.
                return
            if "NOGROUP" not in str(exc):
                raise
            # Redis lost the stream or the group (restart without persistence, FLUSHALL).
            await self.prepare()

    async def ping(self) -> None:
        async with channel_errors():
            await self._redis.ping()

    async def aclose(self) -> None:
        """Stop the blocking reads still under way; what they delivered stays pending and
        is taken over once idle, as a crashed worker's messages are."""
        waiting, self._waiting = list(self._waiting.values()), {}
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
