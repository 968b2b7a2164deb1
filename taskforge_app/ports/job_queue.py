from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message read from the work stream. job_id is None when the message is malformed."""

    message_id: str
    job_id: UUID | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    job_id: UUID
    job_type: str
    attempt: int
    last_error: str
    dead_at: datetime

    @classmethod
    def of(cls, job: Job) -> "DeadLetter":
        return cls(job.id, job.job_type, job.attempt, job.last_error or "", job.updated_at)


class JobQueue(Protocol):
    """The delivery channel: a work stream read by a consumer group, and a dead-letter stream.

    Raises QueueUnavailable when the channel cannot be reached.
    """

    async def publish(self, jobs: Sequence[Job]) -> None:
        """Put one message per job on the work stream."""
        ...

    async def publish_dead(self, letters: Sequence[DeadLetter]) -> None:
        """Put one entry per dead job on the dead-letter stream."""
        ...

    async def ensure_groups(self) -> None:
        """Create the streams and consumer groups that are missing."""
        ...

    async def receive(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        """New messages for this consumer, waiting up to block_ms for the first."""
        ...

    async def reclaim_idle(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        """Take over messages delivered to any consumer but unacknowledged for min_idle_ms."""
        ...

    async def ack(self, message_ids: Sequence[str]) -> None:
        """Mark messages as processed and remove them, so the stream stays bounded."""
        ...

    async def receive_dead(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, DeadLetter]]:
        """New dead letters for this consumer of the dead-letter group, each with its message
        id, waiting up to block_ms for the first; the group is recreated if Redis lost it."""
        ...

    async def ack_dead(self, message_ids: Sequence[str]) -> None:
        """Mark dead letters as handled by the group; they stay on the dead-letter stream."""
        ...

    async def job_ids_on_stream(self) -> set[UUID]:
        """The jobs that have a message on the work stream, delivered or not."""
        ...

    async def ping(self) -> None:
        """Answer, or raise QueueUnavailable."""
        ...
