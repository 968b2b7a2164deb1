"""LISTEN for the notification taskforge_enqueue() sends, on a connection of its own: a
pooled one would be handed to other statements and reset between them."""

import asyncio
import contextlib
from typing import Any

import asyncpg

from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_adapters.postgres.pg_tls import PgSsl
from taskforge_app.ports import EnqueueWakeups, StoreUnavailable

ENQUEUE_CHANNEL = "taskforge_enqueue"


class PgEnqueueListener(EnqueueWakeups):
    def __init__(self, dsn: str, *, ssl: PgSsl = None, connect_timeout: float = 5.0) -> None:
        self._dsn = dsn
        self._ssl = ssl
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        self._noticed = asyncio.Event()
        self._lost = False

    async def listen(self) -> None:
        await self.close()
        self._lost = False
        async with store_errors():
            conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout, ssl=self._ssl)
            try:
                conn.add_termination_listener(self._on_lost)
                await conn.add_listener(ENQUEUE_CHANNEL, self._on_notification)
            except BaseException:
                conn.terminate()
                raise
        self._conn = conn

    async def wait(self, seconds: float) -> bool:
        self._check_listening()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._noticed.wait()
        self._check_listening()
        if self._noticed.is_set():
            self._noticed.clear()
            return True
        # No notification for a while: make sure it is not the connection that went quiet.
        async with store_errors():
            await self._conn.execute("SELECT 1", timeout=self._connect_timeout)
        return False

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.remove_termination_listener(self._on_lost)
            conn.terminate()

    def _check_listening(self) -> None:
        if self._conn is None or self._lost or self._conn.is_closed():
            raise StoreUnavailable(
                "PostgreSQL closed the connection that listens for enqueued jobs"
            )

    def _on_notification(self, *_: object) -> None:
        self._noticed.set()

    def _on_lost(self, conn: object) -> None:
        # asyncpg calls this soon after, not during, the close: by then a new connection
        # may listen, whose loss this is not.
        if conn is self._conn:
            self._lost = True
            self._noticed.set()
