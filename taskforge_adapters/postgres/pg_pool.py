"""The asyncpg pool every PostgreSQL adapter shares, with JSON handled by msgspec."""

from typing import Any

import asyncpg
import msgspec

from taskforge_adapters.postgres.pg_tls import PgSsl

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _encode_json(value: Any) -> str:
    return _encode(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for json_type in ("json", "jsonb"):
        await conn.set_type_codec(
            json_type, schema="pg_catalog", encoder=_encode_json, decoder=_decode
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Taskforge sets no session state on pooled connections, so releasing one needs no
    RESET ALL round trip; asyncpg still rolls back a transaction left open."""


async def create_pg_pool(
    dsn: str,
    *,
    max_size: int = 10,
    connect_timeout: float = 5.0,
    ssl: PgSsl = None,
    statement_cache_size: int = 100,
) -> Any:
    """A pool that connects on first use, not when it is made: a process may start while
    PostgreSQL is down, and each use then fails as StoreUnavailable until it answers.

    `statement_cache_size` 0 suits a transaction pooler (PgBouncer before 1.21): asyncpg
    then sends each statement's parse with its execution, in one exchange that cannot
    be split between two server connections, and keeps no named statement to lose."""
    return await asyncpg.create_pool(
        dsn,
        # No connection floor: asyncpg would connect at once, and keep reconnecting (a
        # warning with a traceback per try) through every outage.
        min_size=0,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        timeout=connect_timeout,
        command_timeout=30,
        ssl=ssl,
        statement_cache_size=statement_cache_size,
    )
