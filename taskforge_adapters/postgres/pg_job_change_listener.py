"""The store's job-change notices, heard on one dedicated connection (LISTEN holds its
connection for as long as it listens, so it cannot be a pooled one)."""

import asyncio
import logging
from typing import Any
from uuid import UUID

import asyncpg

from taskforge_adapters.postgres.job_change_notices import CHANNEL, OUTCOMES_CHANNEL
from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_adapters.postgres.pg_tls import PgSsl
from taskforge_app.ports.job_change_feed import (
    JobChange,
    JobChangeFeed,
    JobChangeSink,
    OutcomeCount,
    OutcomeSink,
)
from taskforge_app.ports.unavailable import StoreUnavailable

log = logging.getLogger("taskforge.api")


def parse_notice(payload: str) -> list[JobChange]:
    """The changes one notice names ("id:revision:status", comma-separated); an entry
    that is not of that form (a NOTIFY sent by hand) is skipped."""
    changes = []
    for entry in payload.split(","):
        parts = entry.split(":")
        if len(parts) == 3:
            try:
                changes.append(JobChange(UUID(parts[0]), int(parts[1]), parts[2]))
            except ValueError:
                continue
    return changes


def parse_outcomes(payload: str) -> list[OutcomeCount]:
    """The counts one outcome notice names ("queue:status:count", comma-separated); an
    entry that is not of that form is skipped."""
    counts = []
    for entry in payload.split(","):
        parts = entry.split(":")
        if len(parts) == 3 and parts[0] and parts[1]:
            try:
                count = int(parts[2])
            except ValueError:
                continue
            if count > 0:
                counts.append(OutcomeCount(parts[0], parts[1], count))
    return counts


class PgJobChangeListener(JobChangeFeed):
    """LISTEN on a connection of its own, reconnecting with a capped backoff; a ping every
    `check_every` seconds finds a connection that died without the socket saying so."""

    def __init__(
        self,
        dsn: str,
        *,
        ssl: PgSsl = None,
        check_every: float = 5.0,
        retry_min: float = 0.1,
        retry_max: float = 2.0,
    ) -> None:
        self._dsn = dsn
        self._ssl = ssl
        self._check_every = check_every
        self._retry_min = retry_min
        self._retry_max = retry_max
        self.connected = asyncio.Event()

    async def follow(
        self, sink: JobChangeSink, stop: asyncio.Event, outcomes: OutcomeSink | None = None
    ) -> None:
        pause = self._retry_min
        while not stop.is_set():
            try:
                await self._listen(sink, stop, outcomes)
                pause = self._retry_min
            except StoreUnavailable as exc:
                log.warning("job change notices unavailable, retrying in %.1fs: %s", pause, exc)
            except Exception:
                # The waiters still end at their deadline; the feed must not stop for good.
                log.exception("job change listener failed, retrying in %.1fs", pause)
            self.connected.clear()
            # Whatever changed while nobody listened is news to every waiter.
            sink.resync()
            try:
                async with asyncio.timeout(pause):
                    await stop.wait()
            except TimeoutError:
                pass
            pause = min(pause * 2, self._retry_max)

    async def _listen(
        self, sink: JobChangeSink, stop: asyncio.Event, outcomes: OutcomeSink | None
    ) -> None:
        def hear(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            sink.changed(parse_notice(payload))

        def hear_outcomes(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            if outcomes is not None:
                outcomes.finished(parse_outcomes(payload))

        async with store_errors():
            conn = await asyncpg.connect(self._dsn, timeout=5, ssl=self._ssl)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            async with store_errors():
                await conn.add_listener(CHANNEL, hear)
                if outcomes is not None:
                    await conn.add_listener(OUTCOMES_CHANNEL, hear_outcomes)
            self.connected.set()
            # Changes made before LISTEN took effect were not heard.
            sink.resync()
            while not stop.is_set() and not lost.is_set():
                await _first_of(stop, lost, within=self._check_every)
                if not stop.is_set() and not lost.is_set():
                    async with store_errors():
                        await conn.fetchval("SELECT 1", timeout=self._check_every)
        finally:
            conn.terminate()
        if lost.is_set() and not stop.is_set():
            raise StoreUnavailable("the connection listening for job changes was closed")


async def _first_of(*events: asyncio.Event, within: float) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
