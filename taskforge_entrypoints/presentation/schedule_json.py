"""Schedules as JSON: what /v1/schedules answers and `taskforge schedules --json` prints."""

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from taskforge_app.manage_schedules import ScheduleView
from taskforge_domain.schedule import Schedule, format_every


class LastJobOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    status: str | None
    """None once the job is gone (deleted past its retention). Its idempotency key,
    schedule:<name>:<tick> (or schedule:<name>:trigger:<time>), says what made it."""


class ScheduleOut(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    cron: str | None
    every: str | None
    timezone: str
    job_type: str
    payload: dict[str, Any]
    queue: str
    max_attempts: int | None
    catch_up: str
    overlap: str
    paused: bool
    next_fire_times: list[datetime]
    """The next ticks, soonest first; empty while paused or when none is left to come."""
    last_tick: datetime | None
    last_job: LastJobOut | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ScheduleView) -> "ScheduleOut":
        schedule = view.stored.schedule
        status = view.stored.last_job_status
        last_job = None
        if schedule.last_job_id is not None:
            last_job = LastJobOut(
                id=schedule.last_job_id, status=None if status is None else status.value
            )
        return cls.fields_of(schedule, view.next_fire_times, last_job)

    @classmethod
    def fields_of(
        cls, schedule: Schedule, next_fire_times: list[datetime], last_job: LastJobOut | None
    ) -> "ScheduleOut":
        spec = schedule.spec
        return cls(
            name=schedule.name,
            cron=spec.cron,
            every=None if spec.every is None else format_every(spec.every),
            timezone=spec.timezone,
            job_type=spec.job_type,
            payload=spec.payload,
            queue=spec.queue,
            max_attempts=spec.max_attempts,
            catch_up=spec.catch_up.value,
            overlap=spec.overlap.value,
            paused=schedule.paused,
            next_fire_times=next_fire_times,
            last_tick=schedule.last_tick,
            last_job=last_job,
            created_at=schedule.created_at,
            updated_at=schedule.updated_at,
        )


class SchedulesOut(msgspec.Struct, frozen=True, kw_only=True):
    schedules: list[ScheduleOut]
