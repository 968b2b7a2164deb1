"""The Jobs page's filters, the same as GET /v1/jobs takes, read from its form: a value
that cannot be used is named on the page instead of failing it."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from taskforge_app.ports import JobQuery, UnsearchableText
from taskforge_domain.job_limits import (
    IDEMPOTENCY_KEY_PATTERN,
    JOB_TYPE_MAX_LENGTH,
    JOB_TYPE_PATTERN,
)
from taskforge_domain.job_status import JobStatus
from taskforge_entrypoints.presentation import payload_filters
from taskforge_entrypoints.presentation.job_cursor import decode_cursor
from taskforge_entrypoints.presentation.payload_filters import InvalidPayloadFilter

PAGE_SIZES = (25, 50, 100, 200)
ERROR_FILTER_MAX_LENGTH = 200
"""As GET /v1/jobs allows."""
FILTERS = (
    "status",
    "job_type",
    "queue",
    "idempotency_key",
    "error",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
    "payload_equals",
    "payload_contains",
)
_TIMES = ("created_after", "created_before", "updated_after", "updated_before")
# Read as GET /v1/jobs reads them (README "Searching the payload").
_PAYLOAD: dict[str, Callable[[str], Any]] = {
    "payload_equals": payload_filters.payload_equals,
    "payload_contains": payload_filters.payload_contains,
}
_JOB_TYPE = re.compile(JOB_TYPE_PATTERN)
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


@dataclass
class JobFilters:
    values: dict[str, str]
    query: JobQuery
    problems: list[str] = field(default_factory=list)

    def link(self, **changes: str | None) -> str:
        """The Jobs page with these filters, changed as given."""
        values = {**self.values, "limit": str(self.query.limit), **changes}
        return "/ui/jobs?" + urlencode({k: v for k, v in values.items() if v})


def read_time(text: str) -> datetime:
    """RFC 3339, or the `2026-12-01T09:00` a datetime-local field sends, read as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_job_type(text: str) -> bool:
    return len(text) <= JOB_TYPE_MAX_LENGTH and _JOB_TYPE.fullmatch(text) is not None


def job_filters(params: Mapping[str, str], queues: tuple[str, ...]) -> JobFilters:
    values = {name: params[name].strip() for name in FILTERS if params.get(name, "").strip()}
    problems: list[str] = []
    limit = params.get("limit", "50")
    size = int(limit) if limit.isdigit() and int(limit) in PAGE_SIZES else 50
    status = values.get("status")
    if status is not None and status not in JobStatus.__members__.values():
        problems.append(f"status {status!r} is not one of {', '.join(JobStatus)}")
        values.pop("status")
    if "queue" in values and values["queue"] not in queues:
        problems.append(f"queue {values['queue']!r} is not one of {', '.join(queues)}")
        values.pop("queue")
    job_type = values.get("job_type")
    if job_type and not is_job_type(job_type):
        problems.append(f"job type {job_type!r} is not a job type's name")
        values.pop("job_type")
    if len(values.get("error", "")) > ERROR_FILTER_MAX_LENGTH:
        problems.append(f"error text is longer than {ERROR_FILTER_MAX_LENGTH} characters")
        values.pop("error")
    if "idempotency_key" in values and not _KEY.fullmatch(values["idempotency_key"]):
        problems.append("the idempotency key holds characters no key can hold")
        values.pop("idempotency_key")
    times: dict[str, datetime] = {}
    for name in _TIMES:
        if name in values:
            try:
                times[name] = read_time(values[name])
            except ValueError:
                problems.append(f"{name.replace('_', ' ')}: {values.pop(name)!r} is not a time")
    payload: dict[str, Any] = {}
    for name, parse in _PAYLOAD.items():
        if name in values:
            try:
                payload[name] = parse(values[name])
            except InvalidPayloadFilter as exc:
                problems.append(str(exc))
                values.pop(name)
    before = None
    if cursor := params.get("cursor"):
        try:
            before = decode_cursor(cursor)
        except ValueError:
            problems.append("the page link is broken; start again from the first page")
    try:
        query = _query(values, size, times, payload, before)
    except UnsearchableText as exc:
        problems.append(str(exc))
        values.pop("error" if exc.field == "error_contains" else exc.field, None)
        payload.pop(exc.field, None)
        query = _query(values, size, times, payload, before)
    return JobFilters(values, query, problems)


def _query(
    values: dict[str, str],
    size: int,
    times: dict[str, datetime],
    payload: dict[str, Any],
    before: tuple[datetime, UUID] | None,
) -> JobQuery:
    return JobQuery(
        limit=size,
        status=JobStatus(values["status"]) if "status" in values else None,
        job_type=values.get("job_type"),
        queue=values.get("queue"),
        idempotency_key=values.get("idempotency_key"),
        error_contains=values.get("error"),
        created_after=times.get("created_after"),
        created_before=times.get("created_before"),
        updated_after=times.get("updated_after"),
        updated_before=times.get("updated_before"),
        payload_equals=payload.get("payload_equals"),
        payload_contains=payload.get("payload_contains"),
        before=before,
    )
