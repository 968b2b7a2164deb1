"""The schedulers' firing loop: it sleeps until the next tick falls due, never longer
than a second, and outlives an outage of the store."""

import asyncio
from datetime import timedelta

from taskforge_adapters.cron.croniter_calendar import CroniterCalendar
from taskforge_app.callers import ANONYMOUS
from taskforge_app.fire_schedules import FireSchedules, FiringOptions
from taskforge_app.manage_schedules import CreateSchedule
from taskforge_app.ports import StoreUnavailable
from taskforge_app.runtime.schedule_loop import run_schedule_loop
from taskforge_app.submit_jobs import SubmitDefaults, SubmitJobs
from taskforge_domain.schedule import ScheduleSpec
from tests.unit.fakes import FakeChannel, FixedClock, InMemoryAuditTrail, InMemoryJobRepository
from tests.unit.schedule_fakes import InMemorySchedules


class SleepRecorder:
    """Time passes as the loop sleeps; after `sleeps` sleeps the loop is stopped."""

    def __init__(self, clock: FixedClock, stop: asyncio.Event, sleeps: int) -> None:
        self.clock = clock
        self.stop = stop
        self.left = sleeps
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return sum(self.slept)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))
        self.left -= 1
        if self.left == 0:
            self.stop.set()
        await asyncio.sleep(0)


def firing(
    store: InMemorySchedules, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> FireSchedules:
    submit = SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=3))
    options = FiringOptions(timedelta(seconds=10))
    return FireSchedules(store, submit, CroniterCalendar(), clock, options)


async def test_the_loop_wakes_at_the_tick_and_sleeps_at_most_a_second_before_it(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    store = InMemorySchedules(jobs)
    fire = firing(store, jobs, queue, clock)
    create = CreateSchedule(store, CroniterCalendar(), InMemoryAuditTrail(), clock)
    clock.advance(timedelta(seconds=57.5))
    await create(
        ANONYMOUS, "minutely", ScheduleSpec("ping", {}, "normal", every=timedelta(minutes=1))
    )
    stop = asyncio.Event()
    timer = SleepRecorder(clock, stop, sleeps=5)

    await run_schedule_loop(fire, clock, stop, timer)

    assert timer.slept[:3] == [1.0, 1.0, 0.5]
    [job] = jobs.jobs.values()
    assert job.idempotency_key == "schedule:minutely:2026-01-01T12:01:00+00:00"


class DownStore(InMemorySchedules):
    async def earliest_tick(self) -> None:
        raise StoreUnavailable("PostgreSQL unavailable: connection refused")


async def test_an_outage_is_outlived_looking_again_every_second(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock
) -> None:
    fire = firing(DownStore(jobs), jobs, queue, clock)
    stop = asyncio.Event()
    timer = SleepRecorder(clock, stop, sleeps=3)

    await run_schedule_loop(fire, clock, stop, timer)

    assert timer.slept == [1.0, 1.0, 1.0]
