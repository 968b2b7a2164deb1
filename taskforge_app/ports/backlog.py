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


@dataclass(frozen=True, slots=True)
class InFlight:
    """Messages of one queue received by a worker and not yet acknowledged; `where` names
    the place in the delivery channel that holds them, for people reading metrics."""

    where: str
    count: int


class StoreBacklog(Protocol):
    """The store's view of the backlog, read in one cheap statement.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def waiting_jobs(self) -> Mapping[str, WaitingJobs]:
        """Waiting jobs by queue; a queue with none waiting is left out."""
        ...


class ChannelBacklog(Protocol):
    """The delivery channel's view of the backlog.

    Raises ChannelUnavailable when the channel cannot be reached.
    """

    async def in_flight(self, queues: Sequence[str]) -> dict[str, InFlight]:
        """By queue: messages received by a worker and not yet acknowledged."""
        ...
