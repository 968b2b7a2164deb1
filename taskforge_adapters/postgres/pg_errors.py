"""Turn the driver's ways of saying 'PostgreSQL is not there' into StoreUnavailable."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import asyncpg.exceptions as pg

from taskforge_app.ports import StoreUnavailable

_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    # Raised when a connection breaks under a running statement (server shutting down).
    pg.InternalClientError,
    pg.PostgresConnectionError,
    pg.OperatorInterventionError,
    pg.InsufficientResourcesError,
)


@asynccontextmanager
async def store_errors() -> AsyncIterator[None]:
    try:
        yield
    except _UNREACHABLE as exc:
        raise StoreUnavailable(f"PostgreSQL unavailable: {type(exc).__name__}: {exc}") from exc
