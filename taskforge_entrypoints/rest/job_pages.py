"""Keyset pagination of GET /v1/jobs: the cursor of a page and the link to the next."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from taskforge_entrypoints.presentation import job_cursor
from taskforge_entrypoints.rest.errors import InvalidCursor


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        return job_cursor.decode_cursor(cursor)
    except ValueError as exc:
        raise InvalidCursor(detail="cursor is not one this API gave out") from exc


def next_link(base_url: str, filters: dict[str, Any], cursor: str) -> str:
    present = {key: _text(value) for key, value in filters.items() if value is not None}
    return f"{base_url}/v1/jobs?{urlencode({**present, 'cursor': cursor})}"


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
