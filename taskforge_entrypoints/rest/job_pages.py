"""Keyset pagination of GET /v1/jobs: the cursor of a page and the link to the next."""

from datetime import datetime
from urllib.parse import urlencode
from uuid import UUID

import msgspec

from taskforge_app.ports import JobQuery
from taskforge_domain.job import Job
from taskforge_entrypoints.presentation import job_cursor
from taskforge_entrypoints.rest.errors import InvalidCursor


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        return job_cursor.decode_cursor(cursor)
    except ValueError as exc:
        raise InvalidCursor(detail="cursor is not one this API gave out") from exc


def next_link(base_url: str, query: JobQuery, page: list[Job]) -> str | None:
    """The same query from after the page's last job; None when the page was the last."""
    if len(page) < query.limit:
        return None
    filters = {
        "status": query.status.value if query.status else None,
        "job_type": query.job_type,
        "queue": query.queue,
        "idempotency_key": query.idempotency_key,
        "created_after": query.created_after,
        "created_before": query.created_before,
        "updated_after": query.updated_after,
        "updated_before": query.updated_before,
        "error": query.error_contains,
        "payload_equals": _equals_text(query),
        "payload_contains": _contains_text(query),
        "limit": query.limit,
        "cursor": job_cursor.encode_cursor(page[-1].created_at, page[-1].id),
    }
    present = {key: _text(value) for key, value in filters.items() if value is not None}
    return f"{base_url}/v1/jobs?{urlencode(present)}"


def _equals_text(query: JobQuery) -> str | None:
    equals = query.payload_equals
    return None if equals is None else ".".join(equals.path) + "=" + equals.text


def _contains_text(query: JobQuery) -> str | None:
    fragment = query.payload_contains
    return None if fragment is None else msgspec.json.encode(fragment).decode()


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
