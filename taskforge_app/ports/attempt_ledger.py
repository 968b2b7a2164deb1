from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from taskforge_app.ports.job_queries import LeaseRenewal
from taskforge_domain.job import Job


class AttemptLedger(Protocol):
    """Where attempts start and end: guarded writes of what the domain decided.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def claim(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> list[Job]:
        """Start the next attempt (Job.start) of each job in a claimable status, in one
        statement; no two callers ever start the same attempt. The started jobs."""
        ...

    async def record_outcomes(
        self, outcomes: Sequence[Job], *, lease_expired_before: datetime | None = None
    ) -> set[UUID]:
        """Write finished attempts in one statement, each only while the store still holds
        the job as its outcome was decided from: running that attempt, with a cancel
        requested or not as the outcome saw it. Each written attempt that the job's row
        does not record goes to the attempt history. The ids written.

        With lease_expired_before, only attempts whose lease had expired by then.
        """
        ...

    async def running(self, job_ids: Sequence[UUID]) -> list[Job]:
        """Those of these jobs that run an attempt now, as stored."""
        ...

    async def extend_leases(
        self, attempts: Sequence[tuple[UUID, int]], now: datetime, lease: timedelta
    ) -> LeaseRenewal:
        """Renew the leases of these (job id, attempt) pairs; say which are still held and
        which of those an operator asked to cancel."""
        ...

    async def find_expired_leases(self, now: datetime, limit: int) -> list[Job]:
        """Running jobs whose lease ran out: their worker died, hung or was cut off."""
        ...
