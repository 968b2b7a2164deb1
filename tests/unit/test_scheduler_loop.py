"""The scheduler's passes on a timer the test moves: promote and reap every interval,
repair and purge every repair interval, and outlive a failing pass."""

import asyncio
from datetime import timedelta

from taskforge_app.ports import StoreUnavailable
from taskforge_app.runtime.scheduler_loop import (
    SchedulerIntervals,
    SchedulerTasks,
    run_scheduler_loop,
)
from tests.unit.fakes import ManualTimer, settle


def intervals(promote: float, repair: float, recovery: float) -> SchedulerIntervals:
    return SchedulerIntervals(
        promote=timedelta(seconds=promote),
        repair=timedelta(seconds=repair),
        recovery=timedelta(seconds=recovery),
    )


class CountingPass:
    def __init__(self, fail_first: int = 0, found: tuple[int, ...] = ()) -> None:
        self.calls = 0
        self._fail_first = fail_first
        self._found = found

    async def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self._fail_first:
            raise StoreUnavailable("connection refused")
        return self._found[self.calls - 1] if self.calls <= len(self._found) else 0


async def test_each_pass_runs_on_its_own_interval_until_stopped() -> None:
    timer = ManualTimer()
    promote, reap, repair, purge = CountingPass(), CountingPass(), CountingPass(), CountingPass()
    tasks = SchedulerTasks(
        promote=promote,  # type: ignore[arg-type]
        reap=reap,  # type: ignore[arg-type]
        repair=repair,  # type: ignore[arg-type]
        purge=purge,  # type: ignore[arg-type]
        recover=CountingPass(),  # type: ignore[arg-type]
    )
    stop = asyncio.Event()
    loop = asyncio.create_task(run_scheduler_loop(tasks, intervals(5, 30, 5), stop, timer))
    await settle()
    assert (promote.calls, reap.calls, repair.calls) == (1, 1, 0)

    for _ in range(6):
        await timer.advance(5)

    assert (promote.calls, reap.calls) == (7, 7)
    assert (repair.calls, purge.calls) == (1, 1)
    stop.set()
    await asyncio.wait_for(loop, 5)


async def test_a_pass_that_fails_is_retried_at_the_next_interval() -> None:
    timer = ManualTimer()
    promote = CountingPass(fail_first=2)
    tasks = SchedulerTasks(
        promote=promote,  # type: ignore[arg-type]
        reap=CountingPass(),  # type: ignore[arg-type]
        repair=CountingPass(),  # type: ignore[arg-type]
        purge=CountingPass(),  # type: ignore[arg-type]
        recover=CountingPass(),  # type: ignore[arg-type]
    )
    stop = asyncio.Event()
    loop = asyncio.create_task(run_scheduler_loop(tasks, intervals(1, 60, 1), stop, timer))
    await settle()
    for _ in range(3):
        await timer.advance(1)

    assert promote.calls == 4
    assert not loop.done()
    stop.set()
    await asyncio.wait_for(loop, 5)


async def test_recovery_runs_every_heartbeat_and_promotes_at_once_what_it_made_due() -> None:
    timer = ManualTimer()
    promote = CountingPass()
    reap = CountingPass(found=(0, 0, 3))
    recover = CountingPass()
    tasks = SchedulerTasks(
        promote=promote,  # type: ignore[arg-type]
        reap=reap,  # type: ignore[arg-type]
        repair=CountingPass(),  # type: ignore[arg-type]
        purge=CountingPass(),  # type: ignore[arg-type]
        recover=recover,  # type: ignore[arg-type]
    )
    stop = asyncio.Event()
    loop = asyncio.create_task(run_scheduler_loop(tasks, intervals(5, 60, 1), stop, timer))
    await settle()
    assert (recover.calls, reap.calls, promote.calls) == (1, 1, 1)

    await timer.advance(1)
    assert (recover.calls, reap.calls, promote.calls) == (2, 2, 1)
    # The third reap ends three lost attempts: their next attempts are promoted at once,
    # not at the next promote interval.
    await timer.advance(1)
    assert (recover.calls, reap.calls, promote.calls) == (3, 3, 2)
    stop.set()
    await asyncio.wait_for(loop, 5)
