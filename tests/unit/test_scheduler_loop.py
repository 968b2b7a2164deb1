"""The scheduler's passes on a timer the test moves: promote and reap every interval,
repair and purge every repair interval, and outlive a failing pass."""

import asyncio
from datetime import timedelta

from taskforge_app.ports import StoreUnavailable
from taskforge_app.runtime.scheduler_loop import SchedulerTasks, run_scheduler_loop
from tests.unit.fakes import ManualTimer, settle


class CountingPass:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self._fail_first = fail_first

    async def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self._fail_first:
            raise StoreUnavailable("connection refused")
        return 0


async def test_each_pass_runs_on_its_own_interval_until_stopped() -> None:
    timer = ManualTimer()
    promote, reap, repair, purge = CountingPass(), CountingPass(), CountingPass(), CountingPass()
    tasks = SchedulerTasks(promote=promote, reap=reap, repair=repair, purge=purge)  # type: ignore[arg-type]
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_scheduler_loop(tasks, timedelta(seconds=5), timedelta(seconds=30), stop, timer)
    )
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
    )
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_scheduler_loop(tasks, timedelta(seconds=1), timedelta(minutes=1), stop, timer)
    )
    await settle()
    for _ in range(3):
        await timer.advance(1)

    assert promote.calls == 4
    assert not loop.done()
    stop.set()
    await asyncio.wait_for(loop, 5)
