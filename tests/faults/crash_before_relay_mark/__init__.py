"""A fault for the relay of jobs enqueued in SQL: the scheduler ends abruptly after its
relay published a batch and before it marked the batch queued and released it.

The product has no switch for it; `python -m tests.faults.crash_before_relay_mark`
runs the real scheduler with this decorator of the EnqueuedJobs port wired in as a
dishka override.
"""

import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from dishka import Provider, Scope, decorate

from taskforge_app.ports import EnqueuedJobs, EnqueueRules, RelayBatch
from taskforge_domain.job import Job

CRASHING_RELAY_ENTRY = "tests.faults.crash_before_relay_mark"
CRASH_EXIT_CODE = 71


class _CrashingBatch:
    def __init__(self, batch: RelayBatch) -> None:
        self._batch = batch

    @property
    def taken(self) -> int:
        return self._batch.taken

    @property
    def pending(self) -> Sequence[Job]:
        return self._batch.pending

    async def hand_over(self, now: datetime) -> None:
        print(f"crashing after publishing {self.taken} jobs", file=sys.stderr, flush=True)
        # No cleanup and no finally blocks, as when the machine loses power.
        os._exit(CRASH_EXIT_CODE)


class CrashBeforeMarking:
    def __init__(self, jobs: EnqueuedJobs) -> None:
        self._jobs = jobs

    @asynccontextmanager
    async def take(self, limit: int) -> AsyncIterator[RelayBatch]:
        async with self._jobs.take(limit) as batch:
            yield _CrashingBatch(batch) if batch.taken else batch

    async def write_rules(self, rules: EnqueueRules) -> None:
        await self._jobs.write_rules(rules)


class CrashBeforeRelayMark(Provider):
    scope = Scope.APP
    jobs = decorate(CrashBeforeMarking, provides=EnqueuedJobs)
