from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QueuePause:
    """A queue no worker starts jobs of: since when, and on whose word."""

    queue: str
    paused_at: datetime
    paused_by: str


class QueuePauses(Protocol):
    """Which queues are paused, kept in the system of record so a pause outlives the
    delivery channel's data.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def pause(self, pause: QueuePause) -> QueuePause | None:
        """Pause the queue unless it is paused already; the new pause, or None."""
        ...

    async def resume(self, queue: str) -> QueuePause | None:
        """Lift the queue's pause; the pause lifted, or None when it was not paused."""
        ...

    async def paused(self) -> list[QueuePause]:
        """Every pause in force, by queue; one cheap read, made twice a second per worker."""
        ...


class RunningAttempts(Protocol):
    """How many attempts run now, by queue.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def running_by_queue(self) -> Mapping[str, int]:
        """Running jobs by queue; a queue with none running is left out."""
        ...
