"""A job and its attempts as JSON: what GET /v1/jobs/{id} answers and `--json` prints."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from taskforge_app.ports import Attempt
from taskforge_domain.job import Job
from taskforge_domain.job_progress import PROGRESS_MESSAGE_MAX_LENGTH


class JobLinks(msgspec.Struct, frozen=True):
    self: str


class JobOut(msgspec.Struct, frozen=True, kw_only=True):
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
    callback_url: str | None
    links: JobLinks
    # What GET /v1/jobs/{id}/events numbers its events by, and the running attempt's
    # reported progress (null until it reports).
    revision: int
    progress: Annotated[float, msgspec.Meta(ge=0, le=1)] | None
    progress_message: Annotated[str, msgspec.Meta(max_length=PROGRESS_MESSAGE_MAX_LENGTH)] | None

    @classmethod
    def of(cls, job: Job, base_url: str) -> "JobOut":
        return cls(
            id=job.id,
            job_type=job.job_type,
            queue=job.queue,
            payload=dict(job.payload),
            status=job.status.value,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            last_error=job.last_error,
            result=job.result,
            idempotency_key=job.idempotency_key,
            run_at=job.run_at,
            started_at=job.started_at,
            created_at=job.created_at,
            updated_at=job.updated_at,
            worker=job.worker,
            cancel_requested_at=job.cancel_requested_at,
            replays=job.replays,
            callback_url=job.callback_url,
            links=JobLinks(self=f"{base_url}/v1/jobs/{job.id}"),
            revision=job.revision,
            progress=job.progress,
            progress_message=job.progress_message,
        )


class AttemptOut(msgspec.Struct, kw_only=True):
    attempt: int
    worker: str | None
    started_at: datetime | None
    finished_at: datetime
    outcome: str
    error: str | None

    @classmethod
    def of(cls, attempt: Attempt) -> "AttemptOut":
        return cls(
            attempt=attempt.attempt,
            worker=attempt.worker,
            started_at=attempt.started_at,
            finished_at=attempt.finished_at,
            outcome=attempt.outcome,
            error=attempt.error,
        )
