from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from taskforge_domain.queue_limit import QueueLimit


@dataclass(frozen=True, slots=True)
class StoredQueueLimit:
    """A queue's limit as the store keeps it, with what it holds to now."""

    limit: QueueLimit
    updated_at: datetime
    updated_by: str
    running: int = 0
    """Attempts of the queue running now: the slots in use."""
    tokens: float | None = None
    """Starts the rate still allows at once, as last refilled; None without a rate."""


class QueueLimits(Protocol):
    """The limits operators set per queue.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def all_queue_limits(self) -> list[StoredQueueLimit]:
        """Every limit, by queue."""
        ...

    async def put_queue_limit(
        self, limit: QueueLimit, now: datetime, actor: str
    ) -> StoredQueueLimit:
        """Set the queue's limit, replacing any; a rate left as it was keeps its bucket."""
        ...

    async def remove_queue_limit(self, queue: str) -> StoredQueueLimit | None:
        """Drop the queue's limit; the limit that was, or None when there was none."""
        ...
