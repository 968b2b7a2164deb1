from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job


class UnstorablePayload(ValueError):
    """The store cannot represent this payload (PostgreSQL jsonb refuses \\u0000 in text)."""


class JobIntake(Protocol):
    """Where submitted jobs are recorded, and their first trip to a worker noted.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def insert_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        """Store new jobs in one statement; for each, in order, the stored job and whether
        it is new (False: its idempotency key was known, and this is the first job).

        Raises UnstorablePayload when the store cannot hold a payload.
        """
        ...

    async def mark_queued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        """Record that these jobs' messages are on their way, for those still pending."""
        ...
