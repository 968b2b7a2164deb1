"""Opaque cursors for keyset pagination: where the previous page of GET /v1/jobs ended."""

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec

from taskforge_entrypoints.rest.errors import InvalidCursor


def encode_cursor(created_at: datetime, job_id: UUID) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), str(job_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, job_id = msgspec.json.decode(raw, type=tuple[str, str])
        return datetime.fromisoformat(created_at), UUID(job_id)
    except (ValueError, msgspec.DecodeError) as exc:
        raise InvalidCursor(detail="cursor is not one this API gave out") from exc


def next_link(base_url: str, filters: dict[str, Any], cursor: str) -> str:
    present = {key: _text(value) for key, value in filters.items() if value is not None}
    return f"{base_url}/v1/jobs?{urlencode({**present, 'cursor': cursor})}"


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
