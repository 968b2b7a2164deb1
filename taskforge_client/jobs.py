"""What the API answers about jobs, decoded by msgspec: a job, a batch item's result, a page."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from taskforge_client.errors import TaskforgeError
from taskforge_client.webhooks import Webhook

FINISHED_STATUSES = frozenset({"completed", "dead", "cancelled"})


class JobLinks(msgspec.Struct, frozen=True):
    self: str


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """A job as GET /v1/jobs/{id} shows it; fields a newer server adds are ignored."""

    id: UUID
    job_type: str
    queue: str
    payload: dict[str, Any]
    status: str
    attempt: int
    max_attempts: int
    last_error: str | None
    result: Any
    idempotency_key: str | None
    run_at: datetime
    started_at: datetime | None
    created_at: datetime
    updated_at: datetime
    worker: str | None
    cancel_requested_at: datetime | None
    replays: int
    links: JobLinks
    revision: int = 0
    """Counts the job's changes of status and progress; the id of its events."""
    progress: float | None = None
    """How far the running attempt says it has got, from 0 to 1; None until it reports."""
    progress_message: str | None = None
    callback_url: str | None = None
    webhook: Webhook | None = None
    """The job's completion webhook deliveries; only get() fills it in."""

    @property
    def finished(self) -> bool:
        """Whether the job reached a status it never leaves on its own."""
        return self.status in FINISHED_STATUSES


class NewJob(msgspec.Struct, frozen=True, kw_only=True):
    """One job for submit_many; the fields mean what submit's arguments mean."""

    job_type: str
    payload: dict[str, Any] | None = None
    idempotency_key: str | None = None
    queue: str | None = None
    max_attempts: int | None = None
    run_at: datetime | None = None
    delay: float | timedelta | None = None
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """One submit_many item's answer: 202 (a new job), 200 (the job its key already
    named) or an error status with the error; `index` is the item's place in the input."""

    index: int
    status: int
    idempotency_key: str | None
    job: Job | None = None
    error: TaskforgeError | None = None

    @property
    def accepted(self) -> bool:
        return self.job is not None

    @property
    def created(self) -> bool:
        return self.status == 202
