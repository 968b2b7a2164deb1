"""In-memory fakes of the relay's ports: the relay notes over an InMemoryJobRepository's
jobs, and wake-ups a test sends by hand."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from uuid import UUID

from taskforge_app.ports import EnqueueRules, RelayBatch, StoreUnavailable
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import InMemoryJobRepository


class FakeRelayBatch:
    def __init__(self, notes: "InMemoryEnqueuedJobs", taken: list[UUID]) -> None:
        self._notes = notes
        self._taken = taken
        jobs = [notes.store.jobs[i] for i in taken if i in notes.store.jobs]
        self._pending = [job for job in jobs if job.status is JobStatus.PENDING]

    @property
    def taken(self) -> int:
        return len(self._taken)

    @property
    def pending(self) -> Sequence[Job]:
        return self._pending

    async def hand_over(self, now: datetime) -> None:
        await self._notes.store.mark_queued([job.id for job in self._pending], now)
        self._notes.noted = [i for i in self._notes.noted if i not in self._taken]


class InMemoryEnqueuedJobs:
    """Jobs enqueued in SQL as a list of noted ids; a batch holds its ids until it ends,
    and releases them for good only through hand_over, as the relay table's rows."""

    def __init__(self, store: InMemoryJobRepository) -> None:
        self.store = store
        self.noted: list[UUID] = []
        self.held: set[UUID] = set()
        self.rules: EnqueueRules | None = None
        self.batches: list[int] = []

    def enqueue(self, job: Job) -> None:
        """What taskforge_enqueue() leaves once its transaction commits."""
        self.store.put(job)
        self.noted.append(job.id)

    def take(self, limit: int) -> AbstractAsyncContextManager[RelayBatch]:
        return self._take(limit)

    @asynccontextmanager
    async def _take(self, limit: int) -> AsyncIterator[RelayBatch]:
        self.store._answer()
        taken = [i for i in self.noted if i not in self.held][:limit]
        self.held.update(taken)
        self.batches.append(len(taken))
        try:
            yield FakeRelayBatch(self, taken)
        finally:
            self.held.difference_update(taken)

    async def write_rules(self, rules: EnqueueRules) -> None:
        self.store._answer()
        self.rules = rules


class FakeWakeups:
    """Wake-ups sent by `notify`; `cut` makes the next wait fail as a lost connection."""

    def __init__(self) -> None:
        self.listens = 0
        self.closes = 0
        self.listening = False
        self.down = False
        self._noticed = asyncio.Event()
        self._cut = False

    def notify(self) -> None:
        self._noticed.set()

    def cut(self) -> None:
        self._cut = True
        self._noticed.set()

    async def listen(self) -> None:
        if self.down:
            raise StoreUnavailable("connection refused")
        self.listens += 1
        self.listening = True
        self._cut = False

    async def wait(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._noticed.wait()
        except TimeoutError:
            return False
        self._noticed.clear()
        if self._cut:
            self.listening = False
            raise StoreUnavailable("the listening connection was closed")
        return True

    async def close(self) -> None:
        self.closes += 1
        self.listening = False
