from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WaitingJobs:
    """Jobs of one queue that wait for a worker (pending or queued): how many, and the
    earliest run_at."""

    count: int
    oldest_run_at: datetime | None


class StoreBacklog(Protocol):
    """The store's view of the backlog, read in one cheap statement.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def waiting_jobs(self) -> Mapping[str, WaitingJobs]:
        """Waiting jobs by queue; a queue with none waiting is left out."""
        ...


class StreamBacklog(Protocol):
    """The work streams' view of the backlog.

    Raises QueueUnavailable when the channel cannot be reached.
    """

    def stream_of(self, queue: str) -> str:
        """The name of the queue's work stream."""
        ...

    async def pending_entries(self, queues: Sequence[str]) -> dict[str, int]:
        """By queue: messages delivered to a consumer of the group and not yet
        acknowledged."""
        ...
