"""The schedule use cases: what each change does to the cursor, who may make it, and the
audit entry it leaves; and firing, through the submit path, with the overlap rule."""

from dataclasses import replace
from datetime import timedelta

import pytest

from taskforge_adapters.cron.croniter_calendar import CroniterCalendar
from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.fire_schedules import FireSchedules, FiringOptions
from taskforge_app.manage_schedules import (
    CreateSchedule,
    PauseSchedule,
    ReadSchedules,
    ReplaceSchedule,
    TriggerSchedule,
)
from taskforge_app.submit_jobs import SubmitDefaults, SubmitJobs
from taskforge_domain.access import Forbidden, Grant, Scope
from taskforge_domain.job_status import JobStatus
from taskforge_domain.schedule import (
    InvalidSchedule,
    Overlap,
    ScheduleNameTaken,
    ScheduleNotFound,
    ScheduleSpec,
    tick_key,
)
from tests.unit.fakes import FakeChannel, FixedClock, InMemoryAuditTrail, InMemoryJobRepository
from tests.unit.schedule_fakes import InMemorySchedules

SECOND = timedelta(seconds=1)
EVERY_MINUTE = ScheduleSpec("ping", {"n": 1}, "normal", every=timedelta(minutes=1))


class Schedules:
    def __init__(self, jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock) -> None:
        self.store = InMemorySchedules(jobs)
        self.audit = InMemoryAuditTrail()
        self.clock = clock
        self.jobs = jobs
        calendar = CroniterCalendar()
        submit = SubmitJobs(jobs, queue, clock, SubmitDefaults(max_attempts=5))
        parts = (self.store, calendar, self.audit, clock)
        self.create = CreateSchedule(*parts)
        self.replace = ReplaceSchedule(*parts)
        self.pause = PauseSchedule(*parts)
        self.trigger = TriggerSchedule(*parts, submit)
        self.read = ReadSchedules(self.store, calendar)
        self.fire = FireSchedules(self.store, submit, calendar, clock, FiringOptions(10 * SECOND))


@pytest.fixture
def schedules(jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock) -> Schedules:
    return Schedules(jobs, queue, clock)


async def test_a_new_schedule_starts_at_its_first_tick_after_now_and_is_audited(
    schedules: Schedules, clock: FixedClock
) -> None:
    caller = Caller("ops", Grant.everything(), "req-1")
    created = await schedules.create(caller, "minutely", EVERY_MINUTE)
    assert created.next_tick == clock.now() + timedelta(minutes=1)
    [entry] = schedules.audit.entries_recorded
    assert (entry.actor, entry.action, entry.request_id) == ("ops", "schedule.create", "req-1")
    assert entry.details["schedule"] == "minutely"
    assert entry.details["every"] == "1m"
    with pytest.raises(ScheduleNameTaken):
        await schedules.create(caller, "minutely", EVERY_MINUTE)


async def test_names_and_time_zones_are_checked(schedules: Schedules) -> None:
    with pytest.raises(InvalidSchedule, match="name"):
        await schedules.create(ANONYMOUS, "no spaces", EVERY_MINUTE)
    spec = ScheduleSpec("ping", {}, "normal", cron="0 * * * *", timezone="Mars/Olympus")
    with pytest.raises(InvalidSchedule, match="timezone"):
        await schedules.create(ANONYMOUS, "mars", spec)


async def test_a_key_limited_to_other_queues_sees_no_such_schedule(
    schedules: Schedules,
) -> None:
    await schedules.create(ANONYMOUS, "minutely", EVERY_MINUTE)
    low_only = Caller("low", Grant(frozenset({Scope.ADMIN}), frozenset({"low"})))
    assert await schedules.read.all(low_only) == []
    with pytest.raises(ScheduleNotFound):
        await schedules.read.one("minutely", low_only)
    with pytest.raises(ScheduleNotFound):
        await schedules.pause(low_only, "minutely", True)
    with pytest.raises(ScheduleNotFound):
        await schedules.trigger(low_only, "minutely")
    with pytest.raises(ScheduleNotFound):
        await schedules.replace(low_only, "minutely", EVERY_MINUTE)
    with pytest.raises(Forbidden):
        await schedules.create(low_only, "normal-too", EVERY_MINUTE)
    assert [entry.action for entry in schedules.audit.entries_recorded] == ["schedule.create"]


async def test_resume_starts_from_the_next_tick_after_now_skipping_the_paused_ones(
    schedules: Schedules, clock: FixedClock
) -> None:
    await schedules.create(ANONYMOUS, "minutely", EVERY_MINUTE)
    paused = await schedules.pause(ANONYMOUS, "minutely", True)
    assert (await schedules.read.one("minutely")).next_fire_times == []
    clock.advance(timedelta(minutes=10, seconds=30))
    resumed = await schedules.pause(ANONYMOUS, "minutely", False)
    assert paused.paused
    assert not resumed.paused
    assert resumed.next_tick == clock.now() + timedelta(seconds=30)
    actions = [entry.action for entry in schedules.audit.entries_recorded]
    assert actions == ["schedule.create", "schedule.pause", "schedule.resume"]
    with pytest.raises(ScheduleNotFound):
        await schedules.pause(ANONYMOUS, "nothing", True)


async def test_ticks_fire_through_the_submit_path_named_by_their_key(
    schedules: Schedules, clock: FixedClock, jobs: InMemoryJobRepository
) -> None:
    created = await schedules.create(ANONYMOUS, "minutely", EVERY_MINUTE)
    assert created.next_tick is not None
    clock.advance(timedelta(minutes=2))

    assert await schedules.fire() == 2
    assert await schedules.fire() == 0

    keys = sorted(job.idempotency_key or "" for job in jobs.jobs.values())
    first = created.next_tick
    assert keys == [tick_key("minutely", first), tick_key("minutely", first + timedelta(minutes=1))]
    assert {job.status for job in jobs.jobs.values()} == {JobStatus.QUEUED}
    view = await schedules.read.one("minutely")
    assert view.stored.schedule.last_tick == first + timedelta(minutes=1)
    assert view.next_fire_times[0] == first + timedelta(minutes=2)


async def test_overlap_skip_waits_for_the_previous_tick_job_to_finish(
    schedules: Schedules, clock: FixedClock, jobs: InMemoryJobRepository
) -> None:
    spec = ScheduleSpec("ping", {}, "normal", every=timedelta(minutes=1), overlap=Overlap.SKIP)
    await schedules.create(ANONYMOUS, "single", spec)
    clock.advance(timedelta(minutes=1))
    assert await schedules.fire() == 1
    clock.advance(timedelta(minutes=1))
    assert await schedules.fire() == 0  # the first tick's job is still queued

    last = schedules.store.schedules["single"].last_job_id
    assert last is not None
    jobs.jobs[last] = replace(jobs.jobs[last], status=JobStatus.COMPLETED)
    clock.advance(timedelta(minutes=1))
    assert await schedules.fire() == 1


async def test_a_trigger_submits_now_and_becomes_the_last_job(
    schedules: Schedules,
) -> None:
    await schedules.create(ANONYMOUS, "minutely", EVERY_MINUTE)
    submitted = await schedules.trigger(ANONYMOUS, "minutely")
    assert submitted.created
    assert (submitted.job.idempotency_key or "").startswith("schedule:minutely:trigger:")
    assert schedules.store.schedules["minutely"].last_job_id == submitted.job.id
    assert schedules.audit.entries_recorded[-1].job_ids == (submitted.job.id,)


async def test_a_replaced_schedule_never_fires_again_before_its_last_tick(
    schedules: Schedules, clock: FixedClock
) -> None:
    await schedules.create(ANONYMOUS, "minutely", EVERY_MINUTE)
    clock.advance(timedelta(minutes=1))
    await schedules.fire()
    hourly = ScheduleSpec("ping", {}, "normal", cron="0 * * * *")
    replaced = await schedules.replace(ANONYMOUS, "minutely", hourly)
    assert replaced.spec.cron == "0 * * * *"
    assert replaced.next_tick is not None
    assert replaced.next_tick > clock.now()
    assert replaced.next_tick.minute == 0
