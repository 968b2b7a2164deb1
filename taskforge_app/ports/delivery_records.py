from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job


class DeliveryRecords(Protocol):
    """What the store knows of each job's trip to a worker, for the scheduler's passes.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def mark_queued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        """Record that these jobs' messages are on their way, for those still pending."""
        ...

    async def promote_due(self, now: datetime, limit: int) -> list[Job]:
        """Queue retrying and scheduled jobs whose run_at has come (Job.enqueue); never one
        job twice."""
        ...

    async def find_waiting(
        self, updated_before: datetime, limit: int, after: tuple[datetime, UUID] | None = None
    ) -> list[Job]:
        """Pending and queued jobs unchanged since before the given time, oldest first,
        from after the (updated_at, id) of the previous page."""
        ...

    async def waiting_among(self, job_ids: Sequence[UUID]) -> list[Job]:
        """Those of these jobs that are pending or queued, waiting for a worker."""
        ...


class DeadLetterRecords(Protocol):
    """Which dead jobs have their dead letter published.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def find_dead_not_lettered(self, updated_before: datetime, limit: int) -> list[Job]:
        """Dead jobs whose dead letter was never recorded as published."""
        ...

    async def mark_dead_lettered(self, job_ids: Sequence[UUID], now: datetime) -> None:
        """Record that these dead jobs' letters are published."""
        ...
