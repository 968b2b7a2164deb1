"""A schedule store held in memory, for the use cases' unit tests."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from taskforge_app.ports.schedules import ClaimedSchedules, StoredSchedule
from taskforge_domain.schedule import Schedule, ScheduleNameTaken, ScheduleSpec
from tests.unit.fakes import InMemoryJobRepository


class InMemorySchedules:
    """Reads its last jobs' statuses from the job store, as the real one joins them."""

    def __init__(self, jobs: InMemoryJobRepository) -> None:
        self.schedules: dict[str, Schedule] = {}
        self._jobs = jobs

    async def add(self, schedule: Schedule) -> None:
        if schedule.name in self.schedules:
            raise ScheduleNameTaken(schedule.name)
        self.schedules[schedule.name] = schedule

    async def get(self, name: str) -> StoredSchedule | None:
        schedule = self.schedules.get(name)
        return None if schedule is None else self._stored(schedule)

    async def all_schedules(self) -> list[StoredSchedule]:
        return [self._stored(self.schedules[name]) for name in sorted(self.schedules)]

    async def replace(
        self, name: str, spec: ScheduleSpec, next_tick: datetime | None, now: datetime
    ) -> Schedule | None:
        return self._change(name, spec=spec, next_tick=next_tick, updated_at=now)

    async def remove(self, name: str) -> Schedule | None:
        return self.schedules.pop(name, None)

    async def set_paused(
        self, name: str, paused: bool, next_tick: datetime | None, now: datetime
    ) -> Schedule | None:
        return self._change(name, paused=paused, next_tick=next_tick, updated_at=now)

    async def record_trigger(self, name: str, job_id: UUID, now: datetime) -> None:
        self._change(name, last_job_id=job_id, updated_at=now)

    def claim(self, now: datetime, limit: int) -> AbstractAsyncContextManager[ClaimedSchedules]:
        return self._claim(now, limit)

    @asynccontextmanager
    async def _claim(self, now: datetime, limit: int) -> AsyncIterator[ClaimedSchedules]:
        due = [
            self._stored(s)
            for s in sorted(self.schedules.values(), key=lambda s: s.next_tick or now)
            if not s.paused and s.next_tick is not None and s.next_tick <= now
        ]
        yield Claimed(self, due[:limit])

    async def earliest_tick(self) -> datetime | None:
        ticks = [s.next_tick for s in self.schedules.values() if not s.paused and s.next_tick]
        return min(ticks, default=None)

    def _stored(self, schedule: Schedule) -> StoredSchedule:
        job = None if schedule.last_job_id is None else self._jobs.jobs.get(schedule.last_job_id)
        return StoredSchedule(schedule, None if job is None else job.status)

    def _change(self, name: str, **fields: object) -> Schedule | None:
        if name not in self.schedules:
            return None
        changed = replace(self.schedules[name], **fields)  # type: ignore[arg-type]
        self.schedules[name] = changed
        return changed


class Claimed:
    def __init__(self, store: InMemorySchedules, due: list[StoredSchedule]) -> None:
        self._store = store
        self._due = due

    @property
    def due(self) -> Sequence[StoredSchedule]:
        return self._due

    async def advance(
        self, name: str, next_tick: datetime | None, last_tick: datetime | None, job_id: UUID | None
    ) -> None:
        current = self._store.schedules[name]
        self._store.schedules[name] = replace(
            current,
            next_tick=next_tick,
            last_tick=last_tick or current.last_tick,
            last_job_id=job_id or current.last_job_id,
        )
