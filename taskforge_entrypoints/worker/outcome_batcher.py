import asyncio
import logging

from taskforge_app.claim_jobs import Claimed
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_entrypoints.process.lifecycle import until_available

log = logging.getLogger("taskforge.worker")


class OutcomeBatcher:
    """Writes finished attempts in groups, like a database's group commit.

    Whatever finished while the previous write was in flight goes into the next
    one: an idle worker writes an outcome at once, a busy one writes few large
    statements. Nothing waits for a batch to fill.
    """

    def __init__(self, record: RecordOutcomes, max_batch: int) -> None:
        self._record = record
        self._max_batch = max_batch
        self._waiting: list[tuple[Claimed, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()

    async def record(self, finished: Claimed) -> None:
        """Hand over an outcome and wait until it is written (or given up on)."""
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((finished, written))
        self._wakeup.set()
        await written

    async def run(self) -> None:
        """Write outcomes until cancelled; cancel it only once no attempt is left."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._write(batch)

    async def _write(self, batch: list[tuple[Claimed, asyncio.Future[None]]]) -> None:
        outcomes = [finished for finished, _ in batch]
        try:
            await until_available(lambda: self._record(outcomes), asyncio.Event(), "recording")
        except Exception:
            log.exception(
                "recording %d outcomes failed; their leases will expire and they will retry",
                len(outcomes),
            )
        for _, written in batch:
            if not written.done():
                written.set_result(None)
