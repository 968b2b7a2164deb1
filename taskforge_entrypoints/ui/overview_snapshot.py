"""One reading of the queues and workers for every open dashboard: however many browsers
refresh the overview, the store answers at most one reading per REFRESH_SECONDS, and the
last readings draw the depth chart."""

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.list_queues import ListQueues, QueueState
from taskforge_app.list_workers import ListWorkers
from taskforge_app.ports import WorkerSeen

REFRESH_SECONDS = 2.0
KEPT_READINGS = 90


@dataclass(frozen=True, slots=True)
class Reading:
    at: datetime
    queues: list[QueueState]
    workers: list[WorkerSeen]


class OverviewSnapshot:
    def __init__(self, list_queues: ListQueues, list_workers: ListWorkers) -> None:
        self._list_queues = list_queues
        self._list_workers = list_workers
        self._readings: deque[Reading] = deque(maxlen=KEPT_READINGS)
        self._taken = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> Reading:
        async with self._lock:
            if not self._readings or time.monotonic() - self._taken >= REFRESH_SECONDS:
                # Read with every queue in view; each browser sees the ones its key covers.
                queues = await self._list_queues(ANONYMOUS)
                workers = await self._list_workers()
                self._readings.append(Reading(datetime.now(UTC), queues, workers))
                self._taken = time.monotonic()
            return self._readings[-1]

    def history(self) -> list[Reading]:
        return list(self._readings)


def seen_by(reading: Reading, caller: Caller) -> Reading:
    queues = [state for state in reading.queues if caller.grant.covers(state.queue)]
    return Reading(reading.at, queues, reading.workers)
