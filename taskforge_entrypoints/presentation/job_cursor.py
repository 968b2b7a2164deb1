"""Keyset cursors: where a page of jobs ended, shared by GET /v1/jobs and
`taskforge jobs list`, so a cursor taken from either works in both.

A cursor is the last job's creation time in microseconds since the epoch and its id,
`<microseconds>-<32 hex digits>`: every text that matches CURSOR_PATTERN is a cursor,
so the API's schema can say exactly which texts it takes."""

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9a-f]{32}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(created_at: datetime, job_id: UUID) -> str:
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{job_id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for text that is not a cursor Taskforge gives out."""
    if not _CURSOR.fullmatch(cursor):
        raise ValueError(f"{cursor!r} is not a cursor Taskforge gave out")
    micros, job_id = cursor.split("-")
    return _EPOCH + timedelta(microseconds=int(micros)), UUID(hex=job_id)
