from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from taskforge_app.ports.job_queries import Attempt, JobQuery, LeaseRenewal
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus


class UnstorablePayload(ValueError):
    """The store cannot represent this payload (PostgreSQL jsonb refuses \\u0000 in text)."""


class JobRepository(Protocol):
    """The system of record for jobs; every method is one atomic statement.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def insert_many(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        """Store new jobs in one statement; for each, in order, the stored job and whether
        it is new (False: its idempotency key was known, and this is the first job).

        Raises UnstorablePayload when the store cannot hold a payload.
        """
        ...

    async def get(self, job_id: UUID) -> Job | None:
        """The job with this id, or None."""
        ...

    async def mark_queued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        """Record that these jobs' messages are on the stream, for those still pending."""
        ...

    async def claim(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> list[Job]:
        """Start the next attempt of each claimable job; a job no caller can claim twice."""
        ...

    async def record_outcomes(
        self, jobs: Sequence[Job], *, lease_expired_before: datetime | None = None
    ) -> set[UUID]:
        """Write finished attempts, each only if its attempt is still the running one,
        and add each written one to the job's attempt history.

        With lease_expired_before, only attempts whose lease had expired by then.
        """
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

    async def find_waiting(
        self, updated_before: datetime, limit: int, after: tuple[datetime, UUID] | None = None
    ) -> list[Job]:
        """Pending and queued jobs unchanged since before the given time, oldest first,
        from after the (updated_at, id) of the previous page."""
        ...

    async def find_dead_not_lettered(self, updated_before: datetime, limit: int) -> list[Job]:
        """Dead jobs whose dead letter was never recorded as published."""
        ...

    async def mark_dead_lettered(self, job_ids: Sequence[UUID], now: datetime) -> None:
        """Record that these dead jobs' letters are on the dead-letter stream."""
        ...

    async def promote_due(self, now: datetime, limit: int) -> list[Job]:
        """Move retrying and scheduled jobs whose run_at has come to queued; never one
        job twice."""
        ...

    async def replace(self, changed: Job, expected: Job) -> Job | None:
        """Write an operator's change (cancel, replay) if the job is still as `expected`
        (same status and attempt); None when it moved on in the meantime."""
        ...

    async def list_jobs(self, query: JobQuery) -> list[Job]:
        """Jobs matching the query, newest first, at most query.limit of them."""
        ...

    async def attempts(self, job_id: UUID) -> list[Attempt]:
        """The finished attempts of a job, first to last."""
        ...

    async def delete_finished(
        self, status: JobStatus, finished_before: datetime, limit: int
    ) -> int:
        """Delete up to `limit` jobs in a finished status that finished before the given
        time, skipping rows others hold; return how many went."""
        ...

    async def ping(self) -> None:
        """Answer, or raise StoreUnavailable."""
        ...
