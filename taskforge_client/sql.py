"""Enqueue a job inside your own transaction: the job exists only if it commits.

`enqueue` calls the database's taskforge_enqueue() on an asyncpg connection or a psycopg
AsyncConnection, `enqueue_sync` on a psycopg Connection. Neither driver is imported: a
connection is used through the methods it has, so this module costs nothing to an
application that uses neither. The function's refusals become the client's typed errors,
the same ones an HTTP submit raises.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from taskforge_client.errors import (
    FieldError,
    IdempotencyKeyReused,
    TaskforgeError,
    ValidationFailed,
)

# The payload goes as text: a connection with a JSON codec of its own (one that encodes a
# str as a JSON string) could otherwise turn it into a string, not an object.
_ASYNCPG_CALL = (
    "SELECT taskforge_enqueue($1::text, $2::text::jsonb, $3::text, $4::integer,"
    " $5::timestamptz, $6::text)"
)
_PSYCOPG_CALL = (
    "SELECT taskforge_enqueue(%s::text, %s::text::jsonb, %s::text, %s::integer,"
    " %s::timestamptz, %s::text)"
)

REUSED_KEY_SQLSTATE = "TF009"
"""The key was used for another request; every other TF… code is a field it refuses."""

# PostgreSQL's own codes for a text or a jsonb it cannot hold (the NUL character).
_UNSTORABLE_SQLSTATES = ("22P05", "22021")

_encode = msgspec.json.Encoder().encode


async def enqueue(
    conn: Any,
    job_type: str,
    payload: Mapping[str, Any] | None = None,
    *,
    queue: str | None = None,
    max_attempts: int | None = None,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> UUID:
    """Store a job in conn's current transaction (or its own, in autocommit); its id."""
    args = _arguments(job_type, payload, queue, max_attempts, run_at, idempotency_key)
    try:
        if hasattr(conn, "fetchval"):
            job_id = await conn.fetchval(_ASYNCPG_CALL, *args)
        else:
            cursor = await conn.execute(_PSYCOPG_CALL, args)
            (job_id,) = await cursor.fetchone()
    except Exception as exc:
        _raise_typed(exc)
        raise
    return _uuid(job_id)


def enqueue_sync(
    conn: Any,
    job_type: str,
    payload: Mapping[str, Any] | None = None,
    *,
    queue: str | None = None,
    max_attempts: int | None = None,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> UUID:
    """`enqueue` on a blocking psycopg Connection."""
    args = _arguments(job_type, payload, queue, max_attempts, run_at, idempotency_key)
    try:
        (job_id,) = conn.execute(_PSYCOPG_CALL, args).fetchone()
    except Exception as exc:
        _raise_typed(exc)
        raise
    return _uuid(job_id)


def _arguments(
    job_type: str,
    payload: Mapping[str, Any] | None,
    queue: str | None,
    max_attempts: int | None,
    run_at: datetime | None,
    idempotency_key: str | None,
) -> tuple[Any, ...]:
    if run_at is not None and run_at.utcoffset() is None:
        # A naive time would be read in the session's time zone: refused, as over HTTP.
        raise _invalid("run_at", "run_at must carry its UTC offset (an aware datetime)")
    for field, text in (("job_type", job_type), ("queue", queue), ("key", idempotency_key)):
        if text is not None and "\x00" in text:
            name = "idempotency_key" if field == "key" else field
            raise _invalid(name, f"{name} cannot contain the NUL character (\\u0000)")
    try:
        payload_json = _encode({} if payload is None else payload).decode()
    except (TypeError, msgspec.EncodeError) as exc:
        raise _invalid("payload", f"payload is not JSON: {exc}") from exc
    if "\\u0000" in payload_json.replace("\\\\", ""):
        raise _invalid("payload", "payload cannot contain the NUL character (\\u0000)")
    return (job_type, payload_json, queue or "normal", max_attempts, run_at, idempotency_key)


def _raise_typed(exc: Exception) -> None:
    """Raise the typed error for a refusal of taskforge_enqueue(); return for any other."""
    typed = _typed_error(exc)
    if typed is not None:
        raise typed from exc


def _typed_error(exc: Exception) -> TaskforgeError | None:
    sqlstate = getattr(exc, "sqlstate", None)
    if not isinstance(sqlstate, str):
        return None
    diag = getattr(exc, "diag", None)
    column = getattr(diag or exc, "column_name", None)
    message = getattr(diag, "message_primary", None) or getattr(exc, "message", None) or str(exc)
    if sqlstate == REUSED_KEY_SQLSTATE:
        return IdempotencyKeyReused(None, "idempotency-key-reused", message)
    if sqlstate.startswith("TF"):
        return _invalid(column, message)
    if sqlstate in _UNSTORABLE_SQLSTATES:
        return ValidationFailed(None, "payload-not-storable", message)
    return None


def _invalid(field: str | None, message: str) -> ValidationFailed:
    """As the API's 422: the SQLSTATE stays on the driver's error, the __cause__."""
    return ValidationFailed(
        None, "validation-failed", message, (FieldError(message=message, key=field),)
    )


def _uuid(value: Any) -> UUID:
    # asyncpg answers its own UUID type, psycopg the standard one.
    return value if type(value) is UUID else UUID(str(value))
