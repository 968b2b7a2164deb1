"""A process brings the job store's schema up to date before it reads or writes a job."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from taskforge_app.ports import Probe, StoreUnavailable
from taskforge_app.ports.backlog import StoreBacklog, WaitingJobs
from taskforge_app.runtime.outages import until_available
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge")

NOT_MIGRATED = "the migrations are not applied yet"


class StoreStartup:
    """Whether this process has applied the migrations. Until it has, whatever would
    touch jobs is refused as if PostgreSQL were down, so nothing meets a schema that
    is missing or half-migrated."""

    def __init__(
        self, migrate: Callable[[], Awaitable[list[int]]], timer: Timer = REAL_TIME
    ) -> None:
        self._migrate = migrate
        self._timer = timer
        self._migrated = False
        self._tried = asyncio.Event()

    @property
    def migrated(self) -> bool:
        return self._migrated

    async def bring_up(self, stop: asyncio.Event) -> bool:
        """Apply the migrations, waiting for PostgreSQL as long as it takes; False when
        stopped first."""
        applied = await until_available(self._try, stop, "applying migrations", timer=self._timer)
        if applied is None:
            return False
        self._migrated = True
        done = f"applied {', '.join(map(str, applied))}" if applied else "nothing to apply"
        log.info("PostgreSQL ready, its schema up to date (%s)", done)
        return True

    async def first_try(self, within: float) -> None:
        """Until the first try to migrate has ended, or `within` seconds have passed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._tried.wait()

    async def _try(self) -> list[int]:
        try:
            return await self._migrate()
        finally:
            self._tried.set()

    def refuse_until_migrated(self) -> None:
        if not self._migrated:
            raise StoreUnavailable(f"the job store is not ready: {NOT_MIGRATED}")

    def probe(self, store: Probe) -> Probe:
        """The store's readiness as this process sees it: answering, and migrated."""
        return _MigratedStore(self, store)

    def backlog(self, store: StoreBacklog) -> StoreBacklog:
        """The store's backlog, measured only once the tables it reads exist."""
        return _MigratedBacklog(self, store)


class _MigratedStore:
    def __init__(self, startup: StoreStartup, store: Probe) -> None:
        self._startup = startup
        self._store = store

    async def ping(self) -> None:
        await self._store.ping()
        if not self._startup.migrated:
            raise StoreUnavailable(f"PostgreSQL answers, but {NOT_MIGRATED}")


class _MigratedBacklog:
    def __init__(self, startup: StoreStartup, store: StoreBacklog) -> None:
        self._startup = startup
        self._store = store

    async def waiting_jobs(self) -> Mapping[str, WaitingJobs]:
        self._startup.refuse_until_migrated()
        return await self._store.waiting_jobs()
