"""Opaque keyset cursors: where a page of jobs ended, shared by GET /v1/jobs and
`taskforge jobs list`, so a cursor taken from either works in both."""

import base64
from datetime import datetime
from uuid import UUID

import msgspec


def encode_cursor(created_at: datetime, job_id: UUID) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), str(job_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for text that is not a cursor Taskforge gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, job_id = msgspec.json.decode(raw, type=tuple[str, str])
        at = datetime.fromisoformat(created_at)
        if at.tzinfo is None:
            raise ValueError("no UTC offset")
        return at, UUID(job_id)
    except ValueError as exc:
        raise ValueError(f"{cursor!r} is not a cursor Taskforge gave out") from exc
