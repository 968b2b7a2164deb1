"""The shapes of the API's JSON, decoded and validated by msgspec."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from taskforge_app.ports import Attempt
from taskforge_app.replay_dead_jobs import BulkReplay
from taskforge_domain.job import Job

JobType = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Short identifier of the handler that runs the job.",
        examples=["ping"],
    ),
]


MaxAttempts = Annotated[int, msgspec.Meta(ge=1, le=100)]

IdempotencyKey = Annotated[
    str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[\x20-\x7e]+$")
]

MAX_BATCH_SIZE = 1000


DelaySeconds = Annotated[float, msgspec.Meta(ge=0, le=366 * 24 * 3600)]

QueueName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="One of the queues in QUEUES (by default high, normal, low).",
    ),
]


class JobCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    job_type: JobType
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    max_attempts: MaxAttempts | None = None
    run_at: datetime | None = None
    delay_seconds: DelaySeconds | None = None
    queue: QueueName = "normal"


class JobBatchItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    job_type: JobType
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    max_attempts: MaxAttempts | None = None
    idempotency_key: IdempotencyKey | None = None
    run_at: datetime | None = None
    delay_seconds: DelaySeconds | None = None
    queue: QueueName = "normal"


class JobBatchCreate(msgspec.Struct, forbid_unknown_fields=True):
    jobs: Annotated[
        list[Any],
        msgspec.Meta(
            min_length=1,
            max_length=MAX_BATCH_SIZE,
            description=(
                "Up to 1000 jobs, each an object with job_type, and optionally payload, "
                "max_attempts and idempotency_key; each is validated on its own."
            ),
        ),
    ]


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
    links: JobLinks

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
            links=JobLinks(self=f"{base_url}/v1/jobs/{job.id}"),
        )


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem document; `code` is the stable machine-readable name."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class BatchItemResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One item's answer: status 202 (new), 200 (replayed key), or an error status."""

    index: int
    status: int
    job: JobOut | None = None
    error: Problem | None = None


class JobBatchOut(msgspec.Struct, kw_only=True):
    accepted: int
    replayed: int
    rejected: int
    results: list[BatchItemResult]


class JobPage(msgspec.Struct, kw_only=True):
    jobs: list[JobOut]
    next: str | None


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


class ReplayOut(msgspec.Struct, kw_only=True):
    dry_run: bool
    matched: int
    replayed: int
    job_ids: list[UUID]

    @classmethod
    def of(cls, result: BulkReplay, *, dry_run: bool) -> "ReplayOut":
        return cls(
            dry_run=dry_run,
            matched=result.matched,
            replayed=result.replayed,
            job_ids=result.job_ids,
        )


class HealthOut(msgspec.Struct, frozen=True):
    status: str


class ReadinessOut(msgspec.Struct, frozen=True):
    status: str
    checks: dict[str, str]
