"""Create, replace, delete, pause, resume and trigger schedules, and read them with their
next fire times; every change goes on the audit trail with its author."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports import UnstorablePayload
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.clock import Clock
from taskforge_app.ports.cron_calendar import CronCalendar, UnknownTimezone
from taskforge_app.ports.schedules import ScheduleStore, StoredSchedule
from taskforge_app.schedule_timing import ticks_of
from taskforge_app.submit_jobs import NewJob, SubmitJobs, Submitted
from taskforge_domain.job_limits import holds_nul
from taskforge_domain.schedule import (
    InvalidSchedule,
    Schedule,
    ScheduleNotFound,
    ScheduleSpec,
    check_schedule_name,
    format_every,
    trigger_key,
)
from taskforge_domain.schedule_ticks import upcoming

NEXT_FIRE_TIMES = 5


@dataclass(frozen=True, slots=True)
class ScheduleView:
    stored: StoredSchedule
    next_fire_times: list[datetime]
    """Empty while paused."""


def spec_details(spec: ScheduleSpec) -> dict[str, Any]:
    return {
        "cron": spec.cron,
        "every": None if spec.every is None else format_every(spec.every),
        "timezone": spec.timezone,
        "job_type": spec.job_type,
        "queue": spec.queue,
        "max_attempts": spec.max_attempts,
        "catch_up": spec.catch_up.value,
        "overlap": spec.overlap.value,
    }


async def visible(store: ScheduleStore, caller: Caller, name: str) -> StoredSchedule:
    """The schedule, when the caller's key covers its queue: one of another queue is
    answered like one that does not exist, as jobs are."""
    stored = await store.get(name)
    if stored is None or not caller.grant.covers(stored.schedule.spec.queue):
        raise ScheduleNotFound(name)
    return stored


class _ScheduleChanges:
    def __init__(
        self, store: ScheduleStore, calendar: CronCalendar, audit: AuditTrail, clock: Clock
    ) -> None:
        self._store = store
        self._calendar = calendar
        self._audit = audit
        self._clock = clock

    def _first_tick(self, spec: ScheduleSpec, after: datetime) -> datetime | None:
        try:
            return ticks_of(self._calendar, spec).after(after)
        except UnknownTimezone as exc:
            raise InvalidSchedule(str(exc)) from None

    def _check(self, caller: Caller, spec: ScheduleSpec) -> None:
        caller.grant.require_queues([spec.queue])
        if holds_nul(spec.payload) or holds_nul(spec.job_type):
            raise UnstorablePayload("payload: the store cannot keep the NUL character")

    async def _record(self, caller: Caller, action: str, schedule: Schedule, **extra: Any) -> None:
        details = {"schedule": schedule.name, **extra}
        await self._audit.record(
            AuditEntry(self._clock.now(), caller.name, action, (), details, caller.request_id)
        )


class CreateSchedule(_ScheduleChanges):
    async def __call__(self, caller: Caller, name: str, spec: ScheduleSpec) -> Schedule:
        check_schedule_name(name)
        self._check(caller, spec)
        now = self._clock.now()
        schedule = Schedule(name, spec, now, now, self._first_tick(spec, now))
        await self._store.add(schedule)
        await self._record(caller, "schedule.create", schedule, **spec_details(spec))
        return schedule


class ReplaceSchedule(_ScheduleChanges):
    """A new spec; its ticks count from now, never again from before the last one fired."""

    async def __call__(self, caller: Caller, name: str, spec: ScheduleSpec) -> Schedule:
        current = await visible(self._store, caller, name)
        self._check(caller, spec)
        now = self._clock.now()
        last = current.schedule.last_tick
        start = now if last is None or last < now else last
        replaced = await self._store.replace(name, spec, self._first_tick(spec, start), now)
        if replaced is None:
            raise ScheduleNotFound(name)
        await self._record(caller, "schedule.update", replaced, **spec_details(spec))
        return replaced


class DeleteSchedule(_ScheduleChanges):
    async def __call__(self, caller: Caller, name: str) -> Schedule:
        await visible(self._store, caller, name)
        removed = await self._store.remove(name)
        if removed is None:
            raise ScheduleNotFound(name)
        await self._record(caller, "schedule.delete", removed)
        return removed


class PauseSchedule(_ScheduleChanges):
    """Ticks stop firing; a paused tick is skipped, not caught up on resume."""

    async def __call__(self, caller: Caller, name: str, paused: bool) -> Schedule:
        current = await visible(self._store, caller, name)
        spec = current.schedule.spec
        next_tick = current.schedule.next_tick
        if not paused and current.schedule.paused:
            next_tick = self._first_tick(spec, self._clock.now())
        changed = await self._store.set_paused(name, paused, next_tick, self._clock.now())
        if changed is None:
            raise ScheduleNotFound(name)
        await self._record(caller, "schedule.pause" if paused else "schedule.resume", changed)
        return changed


class TriggerSchedule(_ScheduleChanges):
    """Submit the schedule's job now, outside its ticks, whatever its overlap rule says."""

    def __init__(
        self,
        store: ScheduleStore,
        calendar: CronCalendar,
        audit: AuditTrail,
        clock: Clock,
        submit: SubmitJobs,
    ) -> None:
        super().__init__(store, calendar, audit, clock)
        self._submit = submit

    async def __call__(self, caller: Caller, name: str) -> Submitted:
        schedule = (await visible(self._store, caller, name)).schedule
        now = self._clock.now()
        [answer] = await self._submit([new_job(schedule, trigger_key(name, now))])
        if not isinstance(answer, Submitted):
            raise answer
        await self._store.record_trigger(name, answer.job.id, now)
        await self._audit.record(
            AuditEntry(
                now,
                caller.name,
                "schedule.trigger",
                (answer.job.id,),
                {"schedule": name},
                caller.request_id,
            )
        )
        return answer


def new_job(schedule: Schedule, idempotency_key: str) -> NewJob:
    spec = schedule.spec
    return NewJob(
        spec.job_type,
        spec.payload,
        idempotency_key=idempotency_key,
        max_attempts=spec.max_attempts,
        queue=spec.queue,
    )


class ReadSchedules:
    def __init__(self, store: ScheduleStore, calendar: CronCalendar) -> None:
        self._store = store
        self._calendar = calendar

    async def all(self, caller: Caller = ANONYMOUS) -> list[ScheduleView]:
        """Those of the queues the caller's key covers."""
        return [
            self._view(stored)
            for stored in await self._store.all_schedules()
            if caller.grant.covers(stored.schedule.spec.queue)
        ]

    async def one(self, name: str, caller: Caller = ANONYMOUS) -> ScheduleView:
        return self._view(await visible(self._store, caller, name))

    def _view(self, stored: StoredSchedule) -> ScheduleView:
        schedule = stored.schedule
        if schedule.paused:
            return ScheduleView(stored, [])
        ticks = ticks_of(self._calendar, schedule.spec)
        return ScheduleView(stored, upcoming(ticks, schedule.next_tick, NEXT_FIRE_TIMES))
