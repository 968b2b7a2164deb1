"""Fire the due ticks of every schedule, each exactly once however many schedulers run."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from taskforge_app.manage_schedules import new_job
from taskforge_app.ports import UnstorablePayload
from taskforge_app.ports.clock import Clock
from taskforge_app.ports.cron_calendar import CronCalendar, UnknownTimezone
from taskforge_app.ports.schedules import ClaimedSchedules, DueSchedules, StoredSchedule
from taskforge_app.schedule_timing import ticks_of
from taskforge_app.submit_jobs import SubmitJobs, Submitted
from taskforge_domain.schedule import tick_key
from taskforge_domain.schedule_ticks import FiringRules, plan_firing

log = logging.getLogger("taskforge.schedules")


@dataclass(frozen=True, slots=True)
class FiringOptions:
    grace: timedelta
    """A tick later than this counts as missed, and its schedule's catch_up decides."""
    schedules_per_pass: int = 100
    ticks_per_schedule: int = 1000


class FireSchedules:
    """Submit the jobs of due ticks through the API's own submit path, then move each
    schedule's cursor past them. A tick's job has the idempotency key
    schedule:<name>:<tick>: a scheduler that dies between the two leaves the cursor where
    it was, and whoever fires the tick again meets the job the first one stored."""

    def __init__(
        self,
        schedules: DueSchedules,
        submit: SubmitJobs,
        calendar: CronCalendar,
        clock: Clock,
        options: FiringOptions,
    ) -> None:
        self._schedules = schedules
        self._submit = submit
        self._calendar = calendar
        self._clock = clock
        self._options = options

    async def __call__(self) -> int:
        """How many jobs this pass created."""
        now = self._clock.now()
        created = 0
        async with self._schedules.claim(now, self._options.schedules_per_pass) as claimed:
            for stored in claimed.due:
                try:
                    created += await self._fire(claimed, stored, now)
                except (UnknownTimezone, UnstorablePayload) as exc:
                    # One schedule this host cannot fire must not hold the others back.
                    log.error("schedule %s cannot fire: %s", stored.schedule.name, exc)
        return created

    async def next_due(self) -> datetime | None:
        return await self._schedules.earliest_tick()

    async def _fire(self, claimed: ClaimedSchedules, stored: StoredSchedule, now: datetime) -> int:
        schedule = stored.schedule
        assert schedule.next_tick is not None
        spec = schedule.spec
        rules = FiringRules(
            spec.catch_up, spec.overlap, self._options.grace, self._options.ticks_per_schedule
        )
        status = stored.last_job_status
        active = status is not None and not status.is_terminal
        firing = plan_firing(ticks_of(self._calendar, spec), schedule.next_tick, now, rules, active)
        jobs = [new_job(schedule, tick_key(schedule.name, tick)) for tick in firing.ticks]
        answers = await self._submit(jobs) if jobs else []
        last_job: UUID | None = None
        created = 0
        for answer in answers:
            # A key known already is the tick fired before (by a scheduler that died
            # before moving the cursor), even when the spec changed since.
            last_job = answer.job.id if isinstance(answer, Submitted) else answer.job_id
            created += isinstance(answer, Submitted) and answer.created
        last_tick = firing.ticks[-1] if firing.ticks else None
        await claimed.advance(schedule.name, firing.next_tick, last_tick, last_job)
        if len(answers) > created:
            log.info(
                "schedule %s: %d ticks had fired already", schedule.name, len(answers) - created
            )
        return created
