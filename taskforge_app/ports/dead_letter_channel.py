from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class DeadLetter:
    job_id: UUID
    job_type: str
    attempt: int
    last_error: str
    dead_at: datetime
    webhook_delivery: int | None = None
    """Set when the letter is for a completion webhook that could not be delivered,
    rather than for a dead job: the id of that delivery."""

    @classmethod
    def of(cls, job: Job) -> "DeadLetter":
        return cls(job.id, job.job_type, job.attempt, job.last_error or "", job.updated_at)


class DeadLetterPublisher(Protocol):
    """Announces dead jobs to whoever follows the dead letters.

    Raises ChannelUnavailable when the delivery channel cannot be reached.
    """

    async def publish_dead(self, letters: Sequence[DeadLetter]) -> None:
        """One dead letter per dead job."""
        ...


class DeadLetterFollower(Protocol):
    """Reads dead letters as a group of followers: each letter reaches one of them.

    Raises ChannelUnavailable when the delivery channel cannot be reached.
    """

    async def receive_dead(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, DeadLetter]]:
        """New dead letters for this follower, each with its message id, waiting up to
        block_ms for the first."""
        ...

    async def ack_dead(self, message_ids: Sequence[str]) -> None:
        """Mark dead letters as handled by the group; they stay published."""
        ...
