"""The shapes of the API's JSON, decoded and validated by msgspec; a job's own shape is
in taskforge_entrypoints.presentation, shared with the operator CLI."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from taskforge_domain.callback_url import CALLBACK_URL_MAX_LENGTH
from taskforge_domain.job_limits import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IDEMPOTENCY_KEY_PATTERN,
    JOB_TYPE_MAX_LENGTH,
    JOB_TYPE_PATTERN,
    MAX_ATTEMPTS_LIMIT,
    QUEUE_NAME_PATTERN,
    STORABLE_TEXT_PATTERN,
)
from taskforge_entrypoints.presentation.job_json import JobOut

# RFC 3339 with its offset, as the schema's date-time format says: msgspec refuses a time
# without one.
Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]

# JSON whose every string and key the store's jsonb can keep; the schema spells out the
# rule the store applies (UnstorablePayload), so a client can know it beforehand.
Payload = Annotated[
    dict[str, Any],
    msgspec.Meta(
        extra_json_schema={
            "propertyNames": {"pattern": STORABLE_TEXT_PATTERN},
            "additionalProperties": {"$ref": "#/components/schemas/StorableJson"},
        }
    ),
]

JobType = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=JOB_TYPE_MAX_LENGTH,
        pattern=JOB_TYPE_PATTERN,
        description="Short identifier of the handler that runs the job.",
        examples=["ping"],
    ),
]


MaxAttempts = Annotated[int, msgspec.Meta(ge=1, le=MAX_ATTEMPTS_LIMIT)]

IdempotencyKey = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=IDEMPOTENCY_KEY_MAX_LENGTH, pattern=IDEMPOTENCY_KEY_PATTERN
    ),
]

MAX_BATCH_SIZE = 1000

CallbackUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=CALLBACK_URL_MAX_LENGTH,
        description=(
            "An http(s) URL on a host in WEBHOOK_ALLOWED_HOSTS, POSTed the job, signed, "
            "when it ends (completed, dead or cancelled)."
        ),
    ),
]


DelaySeconds = Annotated[float, msgspec.Meta(ge=0, le=366 * 24 * 3600)]

QueueName = Annotated[
    str,
    msgspec.Meta(
        pattern=QUEUE_NAME_PATTERN,
        description="One of the queues in QUEUES (by default high, normal, low).",
    ),
]


class JobCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    job_type: JobType
    payload: Payload = msgspec.field(default_factory=dict)
    max_attempts: MaxAttempts | None = None
    run_at: Timestamp | None = None
    delay_seconds: DelaySeconds | None = None
    queue: QueueName = "normal"
    callback_url: CallbackUrl | None = None


class JobBatchItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    job_type: JobType
    payload: Payload = msgspec.field(default_factory=dict)
    max_attempts: MaxAttempts | None = None
    idempotency_key: IdempotencyKey | None = None
    run_at: Timestamp | None = None
    delay_seconds: DelaySeconds | None = None
    queue: QueueName = "normal"
    callback_url: CallbackUrl | None = None


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


class JobEstimateOut(msgspec.Struct, frozen=True, kw_only=True):
    estimated_count: Annotated[int, msgspec.Meta(ge=0)]
    """PostgreSQL's estimate, not a count: label it so wherever it is shown."""


class HealthOut(msgspec.Struct, frozen=True):
    status: str


class ReadinessOut(msgspec.Struct, frozen=True):
    status: str
    checks: dict[str, str]
