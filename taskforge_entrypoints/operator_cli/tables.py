"""Plain-text tables and listings for people reading a terminal."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from taskforge_app.list_queues import QueueState
from taskforge_app.ports import Attempt, DeadLetter, WorkerSeen
from taskforge_app.ports.api_keys import StoredKey
from taskforge_app.ports.audit_trail import AuditEntry
from taskforge_app.ports.job_type_limits import StoredLimit
from taskforge_app.ports.queue_limits import StoredQueueLimit
from taskforge_domain.job import Job

ERROR_WIDTH = 60
GAP = "  "


def one_line(text: str) -> str:
    """Text safe to print on one table row: line breaks, tabs and control characters
    (which could move a terminal's cursor) become spaces."""
    return "".join(char if char.isprintable() else " " for char in text).strip()


def truncate(text: str, width: int) -> str:
    flat = one_line(text)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, the header first; no trailing spaces."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        GAP.join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    return "\n".join(lines)


def attempts_of(job: Job) -> str:
    return f"{job.attempt}/{job.max_attempts}"


def jobs_table(jobs: Sequence[Job]) -> str:
    return render_table(
        ["ID", "TYPE", "QUEUE", "STATUS", "ATTEMPT", "CREATED", "LAST ERROR"],
        [
            [
                str(job.id),
                one_line(job.job_type),
                job.queue,
                job.status.value,
                attempts_of(job),
                when(job.created_at),
                truncate(job.last_error or "", ERROR_WIDTH),
            ]
            for job in jobs
        ],
    )


def workers_table(workers: Sequence[WorkerSeen]) -> str:
    return render_table(
        ["CONSUMER", "HOST", "PID", "STARTED", "LAST SEEN", "QUEUES", "IN FLIGHT"],
        [
            [
                one_line(worker.name),
                one_line(worker.host),
                str(worker.pid),
                when(worker.started_at),
                when(worker.last_seen_at),
                ",".join(worker.queues),
                str(worker.in_flight),
            ]
            for worker in workers
        ],
    )


def queues_table(queues: Sequence[QueueState]) -> str:
    def weights(state: QueueState) -> str:
        served = [f"{w.weight if w.weight is not None else '?'}x{w.workers}" for w in state.weights]
        return ",".join(served) or "no worker"

    return render_table(
        ["QUEUE", "DEPTH", "RUNNING", "OLDEST READY", "PAUSED", "WEIGHT x WORKERS"],
        [
            [
                state.queue,
                str(state.depth),
                str(state.running),
                f"{state.oldest_ready_age_seconds:.1f}s",
                "-" if state.pause is None else f"since {when(state.pause.paused_at)}",
                weights(state),
            ]
            for state in queues
        ],
    )


def keys_table(keys: Sequence[StoredKey]) -> str:
    def state(key: StoredKey) -> str:
        if key.revoked_at is not None:
            return f"revoked {when(key.revoked_at)}"
        return "active" if key.expires_at is None else f"expires {when(key.expires_at)}"

    return render_table(
        ["NAME", "KEY ID", "SCOPES", "QUEUES", "CREATED", "STATE"],
        [
            [
                one_line(key.name),
                f"tfk_{key.key_id}",
                ",".join(sorted(key.grant.scopes)),
                "all" if key.grant.queues is None else ",".join(sorted(key.grant.queues)),
                when(key.created_at),
                state(key),
            ]
            for key in keys
        ],
    )


def limits_table(limits: Sequence[StoredLimit] | Sequence[StoredQueueLimit]) -> str:
    def rate(stored: StoredLimit | StoredQueueLimit) -> str:
        rate = stored.limit.rate
        return "-" if rate is None else f"{rate.starts}/{rate.per.value}"

    def key(stored: StoredLimit | StoredQueueLimit) -> str:
        return stored.limit.queue if isinstance(stored, StoredQueueLimit) else stored.limit.job_type

    by_queue = any(isinstance(stored, StoredQueueLimit) for stored in limits)
    return render_table(
        ["QUEUE" if by_queue else "JOB TYPE", "CONCURRENCY", "RUNNING", "RATE", "UPDATED", "BY"],
        [
            [
                one_line(key(stored)),
                "-" if stored.limit.concurrency is None else str(stored.limit.concurrency),
                str(stored.running),
                rate(stored),
                when(stored.updated_at),
                one_line(stored.updated_by),
            ]
            for stored in limits
        ],
    )


def audit_table(entries: Sequence[AuditEntry]) -> str:
    def what(entry: AuditEntry) -> str:
        jobs = ", ".join(str(job_id) for job_id in entry.job_ids[:3])
        if len(entry.job_ids) > 3:
            jobs += f" and {len(entry.job_ids) - 3} more"
        return truncate(" ".join(part for part in (jobs, _json_text(entry.details)) if part), 90)

    return render_table(
        ["ID", "AT", "ACTOR", "ACTION", "WHAT", "REQUEST"],
        [
            [
                str(entry.id),
                when(entry.at),
                one_line(entry.actor),
                entry.action,
                one_line(what(entry)),
                entry.request_id or "",
            ]
            for entry in entries
        ],
    )


def dead_jobs_table(jobs: Sequence[Job]) -> str:
    return render_table(
        ["ID", "TYPE", "ATTEMPT", "DIED", "LAST ERROR"],
        [
            [
                str(job.id),
                one_line(job.job_type),
                attempts_of(job),
                when(job.updated_at),
                truncate(job.last_error or "", ERROR_WIDTH),
            ]
            for job in jobs
        ],
    )


def attempts_table(attempts: Sequence[Attempt]) -> str:
    return render_table(
        ["ATTEMPT", "OUTCOME", "WORKER", "STARTED", "FINISHED", "ERROR"],
        [
            [
                str(attempt.attempt),
                attempt.outcome,
                one_line(attempt.worker or "-"),
                when(attempt.started_at),
                when(attempt.finished_at),
                truncate(attempt.error or "", ERROR_WIDTH),
            ]
            for attempt in attempts
        ],
    )


def _json_text(value: Any) -> str:
    return one_line(msgspec.json.encode(value).decode())


def job_details(job: Job) -> str:
    fields = [
        ("id", str(job.id)),
        ("type", one_line(job.job_type)),
        ("queue", job.queue),
        ("status", job.status.value),
        ("attempt", f"{job.attempt} of {job.max_attempts}"),
        ("replays", str(job.replays)),
        ("idempotency key", one_line(job.idempotency_key or "-")),
        ("created", when(job.created_at)),
        ("run at", when(job.run_at)),
        ("started", when(job.started_at)),
        ("updated", when(job.updated_at)),
        ("worker", one_line(job.worker or "-")),
        ("cancel requested", when(job.cancel_requested_at)),
        ("last error", one_line(job.last_error or "-")),
        ("payload", _json_text(dict(job.payload))),
        ("result", _json_text(job.result)),
    ]
    width = max(len(name) for name, _ in fields)
    return "\n".join(f"{name.ljust(width)}{GAP}{value}" for name, value in fields)


def job_with_attempts(job: Job, attempts: Sequence[Attempt]) -> str:
    history = attempts_table(attempts) if attempts else "no finished attempts"
    return f"{job_details(job)}\n\n{history}"


def dead_letter_line(letter: DeadLetter) -> str:
    return GAP.join(
        [
            when(letter.dead_at),
            str(letter.job_id),
            one_line(letter.job_type),
            f"attempt {letter.attempt}",
            one_line(letter.last_error) or "-",
        ]
    )
