from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from taskforge_domain.job_status import JobStatus


@dataclass(frozen=True, slots=True)
class JobQuery:
    """Which jobs to list, newest first, and where the previous page ended."""

    limit: int
    status: JobStatus | None = None
    job_type: str | None = None
    queue: str | None = None
    idempotency_key: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    error_contains: str | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    before: tuple[datetime, UUID] | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One finished attempt of a job, as the attempt history records it."""

    attempt: int
    worker: str | None
    started_at: datetime | None
    finished_at: datetime
    outcome: str
    error: str | None


@dataclass(frozen=True, slots=True)
class LeaseRenewal:
    held: set[UUID]
    cancel_requested: set[UUID]
