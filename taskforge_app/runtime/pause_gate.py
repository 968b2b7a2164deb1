import asyncio
import logging
from collections.abc import Sequence

from taskforge_app.ports import Delivery
from taskforge_app.ports.queue_pauses import QueuePauses
from taskforge_app.runtime.outages import OUTAGES, sleep_unless_stopped
from taskforge_app.runtime.timer import REAL_TIME, Timer

log = logging.getLogger("taskforge.worker")

REFRESH_SECONDS = 0.5
"""How stale a worker's view of the paused queues may grow: a pause stops its starts
within this and one claim."""


class PauseGate:
    """Keeps a worker from starting jobs of paused queues.

    The paused set is read from the store every REFRESH_SECONDS (one read of a table of a
    few rows, never one per message). The reader skips paused queues, so their messages
    stay on the streams unread. A message read just before a pause reached this view is
    held here, received but neither claimed nor acknowledged, and goes to the claim again
    once its queue is resumed, before any new read. While the store does not answer, the
    last view holds: the claim could not start anything then anyway.
    """

    def __init__(
        self,
        pauses: QueuePauses | None = None,
        refresh: float = REFRESH_SECONDS,
        timer: Timer = REAL_TIME,
    ) -> None:
        self._pauses = pauses
        self._refresh = refresh
        self._timer = timer
        self._paused: frozenset[str] = frozenset()
        self._held: list[Delivery] = []
        self._changed = asyncio.Event()

    @property
    def paused(self) -> frozenset[str]:
        return self._paused

    @property
    def held(self) -> int:
        """Messages received for paused queues and waiting here for their resume."""
        return len(self._held)

    async def refresh(self) -> None:
        if self._pauses is None:
            return
        paused = frozenset(pause.queue for pause in await self._pauses.paused())
        if paused != self._paused:
            log.info("paused queues now: %s", ", ".join(sorted(paused)) or "none")
            self._paused = paused
            self._changed.set()

    async def follow(self, stop: asyncio.Event) -> None:
        """Refresh until stop; an outage keeps the last view and is logged once."""
        failing = False
        while not await sleep_unless_stopped(stop, self._refresh, self._timer):
            try:
                await self.refresh()
            except OUTAGES as exc:
                if not failing:
                    log.warning("cannot read the paused queues, keeping the last view: %s", exc)
                failing = True
            else:
                failing = False

    def admit(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """The deliveries the claim may start; those of paused queues are held."""
        admitted: list[Delivery] = []
        for delivery in deliveries:
            (self._held if delivery.queue in self._paused else admitted).append(delivery)
        return admitted

    def released(self, limit: int) -> list[Delivery]:
        """Up to limit held deliveries whose queue is no longer paused, oldest first."""
        ready = [d for d in self._held if d.queue not in self._paused][:limit]
        if ready:
            taken = {id(d) for d in ready}
            self._held = [d for d in self._held if id(d) not in taken]
        return ready

    async def until_changed(self, seen: frozenset[str], seconds: float) -> None:
        """Wait for the paused set to differ from seen, at most seconds."""
        if self._paused != seen:
            return
        self._changed.clear()
        changed = asyncio.ensure_future(self._changed.wait())
        slept = asyncio.ensure_future(self._timer.sleep(seconds))
        try:
            await asyncio.wait({changed, slept}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            slept.cancel()
