import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from taskforge_app.ports import DeadLetter, Delivery, JobQueue, QueueUnavailable
from taskforge_domain.job import Job

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

log = logging.getLogger(__name__)


@asynccontextmanager
async def queue_errors() -> AsyncIterator[None]:
    try:
        yield
    except _UNREACHABLE as exc:
        raise QueueUnavailable(f"Redis unavailable: {type(exc).__name__}: {exc}") from exc


def _delivery(message_id: bytes, fields: dict[bytes, bytes]) -> Delivery:
    try:
        job_id: UUID | None = UUID(fields[b"job_id"].decode())
    except (KeyError, ValueError, UnicodeDecodeError):
        job_id = None
    return Delivery(message_id.decode(), job_id)


def _dead_letter(fields: dict[bytes, bytes]) -> DeadLetter | None:
    try:
        dead_at = datetime.fromisoformat(fields[b"dead_at"].decode())
        return DeadLetter(
            job_id=UUID(fields[b"job_id"].decode()),
            job_type=fields.get(b"job_type", b"").decode(),
            attempt=int(fields[b"attempt"]),
            last_error=fields.get(b"last_error", b"").decode(errors="replace"),
            dead_at=dead_at if dead_at.tzinfo else dead_at.replace(tzinfo=UTC),
        )
    except (KeyError, ValueError, UnicodeDecodeError):
        return None


class RedisStreamQueue(JobQueue):
    def __init__(
        self, client: Redis, *, stream: str, group: str, dlq_stream: str, dlq_group: str
    ) -> None:
        self._redis = client
        self._stream = stream
        self._group = group
        self._dlq_stream = dlq_stream
        self._dlq_group = dlq_group

    async def publish(self, jobs: Sequence[Job]) -> None:
        async with queue_errors():
            pipe = self._redis.pipeline(transaction=False)
            for job in jobs:
                pipe.xadd(self._stream, {"job_id": str(job.id), "job_type": job.job_type})
            await pipe.execute()

    async def publish_dead(self, letters: Sequence[DeadLetter]) -> None:
        async with queue_errors():
            pipe = self._redis.pipeline(transaction=False)
            for letter in letters:
                pipe.xadd(
                    self._dlq_stream,
                    {
                        "job_id": str(letter.job_id),
                        "job_type": letter.job_type,
                        "attempt": letter.attempt,
                        "last_error": letter.last_error,
                        "dead_at": letter.dead_at.isoformat().replace("+00:00", "Z"),
                    },
                )
            await pipe.execute()

    async def ensure_groups(self) -> None:
        async with queue_errors():
            for stream, group in ((self._stream, self._group), (self._dlq_stream, self._dlq_group)):
                try:
                    await self._redis.xgroup_create(stream, group, id="0", mkstream=True)
                except ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    async def receive(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        async with queue_errors(), self._recreating_lost_groups():
            reply: Any = await self._redis.xreadgroup(
                self._group, consumer, {self._stream: ">"}, count=count, block=block_ms
            )
            if reply:
                return [_delivery(message_id, fields) for message_id, fields in reply[0][1]]
        return []

    async def reclaim_idle(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        async with queue_errors(), self._recreating_lost_groups():
            reply: Any = await self._redis.xautoclaim(
                self._stream, self._group, consumer, min_idle_ms, "0-0", count=count
            )
            # Redis 7 drops entries deleted while pending from the PEL itself (reply[2]).
            return [_delivery(message_id, fields) for message_id, fields in reply[1]]
        return []

    async def ack(self, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        async with queue_errors():
            pipe = self._redis.pipeline(transaction=False)
            pipe.xack(self._stream, self._group, *message_ids)
            pipe.xdel(self._stream, *message_ids)
            await pipe.execute()

    async def receive_dead(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, DeadLetter]]:
        async with queue_errors(), self._recreating_lost_groups():
            reply: Any = await self._redis.xreadgroup(
                self._dlq_group, consumer, {self._dlq_stream: ">"}, count=count, block=block_ms
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
        async with queue_errors():
            await self._redis.xack(self._dlq_stream, self._dlq_group, *message_ids)

    async def job_ids_on_stream(self) -> set[UUID]:
        found: set[UUID] = set()
        start = "-"
        async with queue_errors():
            while True:
                entries: Any = await self._redis.xrange(self._stream, start, "+", count=1000)
                for message_id, fields in entries:
                    delivery = _delivery(message_id, fields)
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
            if "NOGROUP" not in str(exc):
                raise
            # Redis lost the stream or the group (restart without persistence, FLUSHALL).
            await self.ensure_groups()

    async def ping(self) -> None:
        async with queue_errors():
            await self._redis.ping()
