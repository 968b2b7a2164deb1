from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WaitingJobs:
    """Jobs that wait for a worker (pending or queued): how many, and the earliest run_at."""

    count: int
    oldest_run_at: datetime | None


class StoreBacklog(Protocol):
    """The store's view of the backlog, read in one cheap statement.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def waiting_jobs(self) -> WaitingJobs: ...


class StreamBacklog(Protocol):
    """The work stream's view of the backlog.

    Raises QueueUnavailable when the channel cannot be reached.
    """

    @property
    def stream(self) -> str:
        """The name of the work stream."""
        ...

    async def pending_entries(self) -> int:
        """Messages delivered to a consumer of the group and not yet acknowledged."""
        ...
