"""Taskforge from Python: `Client` (blocking) and `AsyncClient` over the HTTP API.

It needs only httpx and msgspec and imports nothing from the service's packages, so it
can be installed beside any application. Every submit carries an Idempotency-Key (one is
made when the caller gives none), so the bounded retries of 503 answers and lost
connections never create a second job.

`taskforge_client.sql` enqueues a job inside the caller's own database transaction
(asyncpg or psycopg), through the database's taskforge_enqueue() function.

Not here yet: `wait()` and `events()`, which wait for a job to finish without polling,
come once the server has its long-poll (`GET /v1/jobs/{id}?wait=`) and its event stream.
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
from taskforge_client.jobs import FINISHED_STATUSES, Job, JobLinks, NewJob, SubmitResult
from taskforge_client.retry_policy import RetryPolicy
from taskforge_client.sync_client import Client

__all__ = [
    "FINISHED_STATUSES",
    "AsyncClient",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "FieldError",
    "IdempotencyKeyReused",
    "Job",
    "JobLinks",
    "JobNotFound",
    "NewJob",
    "RetryPolicy",
    "ServiceUnavailable",
    "SubmitResult",
    "TaskforgeError",
    "ValidationFailed",
]
