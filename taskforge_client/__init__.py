"""Taskforge from Python: `Client` (blocking) and `AsyncClient` over the HTTP API.

It needs only httpx and msgspec and imports nothing from the service's packages, so it
can be installed beside any application. Every submit carries an Idempotency-Key (one is
made when the caller gives none), so the bounded retries of 503 answers and lost
connections never create a second job.

`wait(id, timeout)` returns the job once it is finished (the server's long-poll, no
polling), or raises `WaitTimedOut` carrying the job as it was; `events(id)` iterates
over the job's changes (`JobChanged`, `AttemptFinished`) from its event stream, resuming
after a dropped connection.

`taskforge_client.sql` enqueues a job inside the caller's own database transaction
(asyncpg or psycopg), through the database's taskforge_enqueue() function.
"""

from taskforge_client.async_client import AsyncClient
from taskforge_client.errors import (
    Conflict,
    ConnectionFailed,
    FieldError,
    IdempotencyKeyReused,
    JobNotFound,
    ServiceUnavailable,
    TaskforgeError,
    ValidationFailed,
)
from taskforge_client.job_events import (
    Attempt,
    AttemptFinished,
    JobChanged,
    JobEvent,
    WaitTimedOut,
)
from taskforge_client.jobs import FINISHED_STATUSES, Job, JobLinks, NewJob, SubmitResult
from taskforge_client.retry_policy import RetryPolicy
from taskforge_client.sync_client import Client
from taskforge_client.webhooks import Webhook, WebhookAttempt, WebhookDelivery, verify_signature

__all__ = [
    "FINISHED_STATUSES",
    "AsyncClient",
    "Attempt",
    "AttemptFinished",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "FieldError",
    "IdempotencyKeyReused",
    "Job",
    "JobChanged",
    "JobEvent",
    "JobLinks",
    "JobNotFound",
    "NewJob",
    "RetryPolicy",
    "ServiceUnavailable",
    "SubmitResult",
    "TaskforgeError",
    "ValidationFailed",
    "WaitTimedOut",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "verify_signature",
]
