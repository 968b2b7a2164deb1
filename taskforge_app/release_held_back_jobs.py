import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from taskforge_app.ports import Clock, WorkPublisher
from taskforge_app.ports.job_type_limits import HeldBackJobs
from taskforge_app.ports.unavailable import ChannelUnavailable, StoreUnavailable
from taskforge_domain.job import Job
from taskforge_domain.limit_budget import LimitScope, RateWait

log = logging.getLogger(__name__)

_MOST_AT_ONCE = 1000
FREED_PAGE = 500


class ReleaseHeldBackJobs:
    """Queue again, and publish, the jobs a limit held back the moment it may let them
    start: one per slot an ending attempt of their type or queue frees, and as many as
    their rate allows when its next start is due.

    A release that fails or never happens (a crash) costs only time: the scheduler's
    promote pass queues every held-back job at its run_at. So does a slot that frees
    while a claim is still holding jobs back, which this release cannot see yet.
    """

    def __init__(self, held: HeldBackJobs, publisher: WorkPublisher, clock: Clock) -> None:
        self._held = held
        self._publisher = publisher
        self._clock = clock
        self._timers: dict[tuple[LimitScope, str], tuple[datetime, asyncio.Task[None]]] = {}
        # The loop keeps only weak references to tasks; a timer replaced by an earlier one
        # must still fire.
        self._pending: set[asyncio.Task[None]] = set()

    async def after_attempts_ended(self, ended: Sequence[Job]) -> int:
        """Release a held-back job for each slot the ended attempts free in their type's
        limit and in their queue's; how many were released."""
        if not ended:
            return 0
        by_type = Counter(job.job_type for job in ended)
        by_queue = Counter(job.queue for job in ended)
        released = await self._publish(
            "jobs waiting for a slot",
            self._held.release_slots(by_type, by_queue, self._clock.now()),
        )
        return len(released)

    async def after_limit_removed(self, scope: LimitScope, key: str) -> int:
        """Release every job the removed limit of a type or queue held back, a page at a
        time; how many were released. A job met again was held back anew by its other
        limit meanwhile: that limit's releases and the promote pass take it from there,
        so the pages stop instead of releasing it over and over."""
        released: set[UUID] = set()
        while True:
            page = await self._publish(
                f"jobs held back by the removed limit of {scope.value} {key}",
                self._held.release_all(scope, key, FREED_PAGE, self._clock.now()),
            )
            fresh = {job.id for job in page} - released
            released |= fresh
            if len(page) < FREED_PAGE or len(fresh) < len(page):
                return len(released)

    def when_starts_due(self, waits: Sequence[RateWait]) -> None:
        """Release jobs waiting for a rate when it allows starts again: one timer per limit
        at a time, since the jobs a release queues that are held back again set the next."""
        for wait in waits:
            armed = self._timers.get((wait.scope, wait.key))
            if armed is not None and not armed[1].done() and armed[0] <= wait.at:
                continue
            task = asyncio.create_task(self._release_at(wait))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            self._timers[(wait.scope, wait.key)] = (wait.at, task)

    async def _release_at(self, wait: RateWait) -> None:
        seconds = (wait.at - self._clock.now()).total_seconds()
        if seconds > 0:
            await asyncio.sleep(seconds)
        armed = self._timers.get((wait.scope, wait.key))
        if armed is not None and armed[1] is asyncio.current_task():
            del self._timers[(wait.scope, wait.key)]
        what = f"jobs waiting for the rate of {wait.scope.value} {wait.key}"
        count = min(wait.count, _MOST_AT_ONCE)
        try:
            released = await self._publish(
                what, self._held.release_starts(wait.scope, wait.key, count, self._clock.now())
            )
            if len(released) >= count:
                # The rate may have refilled before the released jobs were claimed, and
                # then all of them start: none is held back again to set the next
                # timer, while more may still wait.
                self.when_starts_due([replace(wait, at=self._clock.now() + wait.every)])
        except Exception:
            log.exception("releasing %s failed", what)

    async def _publish(self, what: str, releasing: Awaitable[list[Job]]) -> list[Job]:
        try:
            released = await releasing
            if released:
                await self._publisher.publish(released)
        except (StoreUnavailable, ChannelUnavailable) as exc:
            log.warning("cannot release %s yet, the promote pass will: %s", what, exc)
            return []
        return released
