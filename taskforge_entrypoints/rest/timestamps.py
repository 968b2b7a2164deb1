"""Timestamps as the API reads them: the RFC 3339 date-time its schema names (an offset
is required; a bare number is not a time), turned into one UTC instant."""

from datetime import UTC, datetime

import msgspec

from taskforge_entrypoints.rest.errors import InvalidQuery
from taskforge_entrypoints.rest.schemas import Timestamp

# A second inside the calendar's ends: asyncpg reads and writes its very ends as
# PostgreSQL's -infinity and infinity, and reads those back without an offset.
_EARLIEST = datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    """The same instant in UTC; one whose offset carries it past year 1 or 9999 becomes
    the calendar's end, which every stored time is still after or before, as it was."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if value.year == 1 else _LATEST


def query_timestamp(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return in_utc(msgspec.convert(text, Timestamp))
    except msgspec.ValidationError:
        raise InvalidQuery(
            detail=f"{name}: {text!r} is not an RFC 3339 date-time, like 2026-12-01T09:00:00Z"
        ) from None
