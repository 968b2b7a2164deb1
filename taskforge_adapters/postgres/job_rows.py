"""How a job is stored in a `jobs` row, and read back."""

from collections.abc import Mapping
from typing import Any

from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus

COLUMNS = (
    "id, job_type, payload, status, attempt, max_attempts, last_error, result, "
    "idempotency_key, run_at, lease_expires_at, started_at, created_at, updated_at, "
    "worker, cancel_requested_at, replays, queue, revision, progress, progress_message, "
    "callback_url"
)


def job_from_row(row: Mapping[str, Any]) -> Job:
    return Job(
        id=row["id"],
        job_type=row["job_type"],
        payload=row["payload"],
        status=JobStatus(row["status"]),
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        last_error=row["last_error"],
        result=row["result"],
        idempotency_key=row["idempotency_key"],
        run_at=row["run_at"],
        lease_expires_at=row["lease_expires_at"],
        started_at=row["started_at"],
        worker=row["worker"],
        cancel_requested_at=row["cancel_requested_at"],
        replays=row["replays"],
        queue=row["queue"],
        revision=row["revision"],
        progress=row["progress"],
        progress_message=row["progress_message"],
        callback_url=row["callback_url"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
