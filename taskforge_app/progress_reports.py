"""Handlers' progress reports, coalesced: a handler may report in a tight loop, and the
store sees at most one write per interval per worker process, holding the latest report
of every attempt that reported since the last one."""

import asyncio
import logging
from typing import Protocol
from uuid import UUID

from taskforge_app.ports.progress_store import ProgressReport, ProgressStore
from taskforge_app.ports.unavailable import StoreUnavailable
from taskforge_domain.job_progress import Progress

log = logging.getLogger("taskforge.worker")

COALESCE_SECONDS = 0.2


class ProgressSink(Protocol):
    """Where a JobContext sends its handler's progress; never blocks the handler."""

    def report(self, job_id: UUID, attempt: int, progress: Progress) -> None: ...


class DiscardedProgress:
    """For a JobContext that no worker runs (a handler's own tests): reports go nowhere."""

    def report(self, job_id: UUID, attempt: int, progress: Progress) -> None:
        return None


NO_PROGRESS: ProgressSink = DiscardedProgress()


class CoalescedProgress(ProgressSink):
    """Writes the first report at once, then the latest of each attempt every interval."""

    def __init__(self, store: ProgressStore, interval: float = COALESCE_SECONDS) -> None:
        self._store = store
        self._interval = interval
        self._latest: dict[tuple[UUID, int], ProgressReport] = {}
        self._writing: asyncio.Task[None] | None = None

    def report(self, job_id: UUID, attempt: int, progress: Progress) -> None:
        self._latest[job_id, attempt] = ProgressReport(job_id, attempt, progress)
        if self._writing is None:
            self._writing = asyncio.get_running_loop().create_task(
                self._write_while_reported(), name="progress writes"
            )

    async def flushed(self) -> None:
        """Until every report so far is written (or given up on)."""
        while (writing := self._writing) is not None:
            await asyncio.shield(writing)

    async def _write_while_reported(self) -> None:
        try:
            while self._latest:
                reports = list(self._latest.values())
                self._latest.clear()
                try:
                    await self._store.write_progress(reports)
                except StoreUnavailable as exc:
                    # Progress is advisory: the next report carries the news again.
                    log.warning("progress of %d job(s) not stored: %s", len(reports), exc)
                except Exception:
                    # Nor may one report the store refuses end the writer for every job.
                    log.exception("progress of %d job(s) not stored", len(reports))
                await asyncio.sleep(self._interval)
        finally:
            self._writing = None
