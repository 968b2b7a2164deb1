"""A fault hook for the fault-injection tests, never switched on in production.

It ends the process abruptly at the first publish to the work stream: in the API
that is right after the job's INSERT committed, in the scheduler right after a
promotion committed. That is the crash window of DESIGN.md points 1 and 4.
"""

import os
import sys
from collections.abc import Sequence
from uuid import UUID

from taskforge_app.ports import DeadLetter, Delivery, JobQueue
from taskforge_domain.job import Job

CRASH_EXIT_CODE = 70


class CrashBeforePublishQueue(JobQueue):
    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    async def publish(self, jobs: Sequence[Job]) -> None:
        print("taskforge: test fault: crashing before publishing to the stream", file=sys.stderr)
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)

    async def publish_dead(self, letters: Sequence[DeadLetter]) -> None:
        await self._queue.publish_dead(letters)

    async def ensure_groups(self) -> None:
        await self._queue.ensure_groups()

    async def receive(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        return await self._queue.receive(consumer, count, block_ms)

    async def reclaim_idle(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        return await self._queue.reclaim_idle(consumer, min_idle_ms, count)

    async def ack(self, message_ids: Sequence[str]) -> None:
        await self._queue.ack(message_ids)

    async def receive_dead(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, DeadLetter]]:
        return await self._queue.receive_dead(consumer, count, block_ms)

    async def ack_dead(self, message_ids: Sequence[str]) -> None:
        await self._queue.ack_dead(message_ids)

    async def job_ids_on_stream(self) -> set[UUID]:
        return await self._queue.job_ids_on_stream()

    async def ping(self) -> None:
        await self._queue.ping()
