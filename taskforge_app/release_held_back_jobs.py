import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Sequence
from datetime import datetime

from taskforge_app.ports import Clock, WorkPublisher
from taskforge_app.ports.job_type_limits import HeldBackJobs, StartsDue
from taskforge_app.ports.unavailable import ChannelUnavailable, StoreUnavailable
from taskforge_domain.job import Job

log = logging.getLogger(__name__)

_MOST_AT_ONCE = 1000


class ReleaseHeldBackJobs:
    """Queue again, and publish, the jobs a limit held back the moment it may let them
    start: one per slot an ending attempt of their type frees, and as many as their rate
    allows when its next start is due.

    A release that fails or never happens (a crash) costs only time: the scheduler's
    promote pass queues every held-back job at its run_at. So does a slot that frees
    while a claim is still holding jobs back, which this release cannot see yet.
    """

    def __init__(self, held: HeldBackJobs, publisher: WorkPublisher, clock: Clock) -> None:
        self._held = held
        self._publisher = publisher
        self._clock = clock
        self._timers: dict[str, tuple[datetime, asyncio.Task[None]]] = {}

    async def after_attempts_ended(self, ended: Sequence[Job]) -> int:
        """Release a held-back job of each ended attempt's type; how many were released."""
        if not ended:
            return 0
        freed = Counter(job.job_type for job in ended)
        return await self._publish(
            "jobs waiting for a slot", self._held.release_slots(freed, self._clock.now())
        )

    def when_starts_due(self, due: Sequence[StartsDue]) -> None:
        """Release jobs waiting for a rate when it allows starts again: one timer per type
        at a time, since the jobs a release queues that are held back again set the next."""
        for starts in due:
            armed = self._timers.get(starts.job_type)
            if armed is not None and not armed[1].done() and armed[0] <= starts.at:
                continue
            task = asyncio.create_task(self._release_at(starts))
            self._timers[starts.job_type] = (starts.at, task)

    async def _release_at(self, starts: StartsDue) -> None:
        wait = (starts.at - self._clock.now()).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
        if self._timers.get(starts.job_type, (None, None))[1] is asyncio.current_task():
            del self._timers[starts.job_type]
        count = min(starts.count, _MOST_AT_ONCE)
        try:
            await self._publish(
                f"jobs waiting for the rate of {starts.job_type}",
                self._held.release_starts(starts.job_type, count, self._clock.now()),
            )
        except Exception:
            log.exception("releasing jobs held back by the rate of %s failed", starts.job_type)

    async def _publish(self, what: str, releasing: Awaitable[list[Job]]) -> int:
        try:
            released = await releasing
            if released:
                await self._publisher.publish(released)
        except (StoreUnavailable, ChannelUnavailable) as exc:
            log.warning("cannot release %s yet, the promote pass will: %s", what, exc)
            return 0
        return len(released)
