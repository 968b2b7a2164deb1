from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from taskforge_domain.job_status import JobStatus
from taskforge_domain.schedule import Schedule, ScheduleSpec


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    schedule: Schedule
    last_job_status: JobStatus | None = None
    """The status of the job the last tick created, while that job is still stored."""


class ScheduleStore(Protocol):
    """Where schedules are kept. Raises StoreUnavailable when the store cannot be reached."""

    async def add(self, schedule: Schedule) -> None:
        """Raises ScheduleNameTaken."""
        ...

    async def get(self, name: str) -> StoredSchedule | None: ...

    async def all_schedules(self) -> list[StoredSchedule]:
        """By name."""
        ...

    async def replace(
        self, name: str, spec: ScheduleSpec, next_tick: datetime | None, now: datetime
    ) -> Schedule | None:
        """A new spec and cursor; None when no such schedule."""
        ...

    async def remove(self, name: str) -> Schedule | None: ...

    async def set_paused(
        self, name: str, paused: bool, next_tick: datetime | None, now: datetime
    ) -> Schedule | None:
        """Pause, or resume from next_tick; None when no such schedule."""
        ...

    async def record_trigger(self, name: str, job_id: UUID, now: datetime) -> None: ...


class ClaimedSchedules(Protocol):
    """Due schedules held by this scheduler alone until the claim ends."""

    @property
    def due(self) -> Sequence[StoredSchedule]: ...

    async def advance(
        self, name: str, next_tick: datetime | None, last_tick: datetime | None, job_id: UUID | None
    ) -> None:
        """Move the cursor; with a job, record it as the last one (fired at last_tick)."""
        ...


class DueSchedules(Protocol):
    """The schedulers' view of schedules: which are due, held one scheduler at a time."""

    def claim(self, now: datetime, limit: int) -> AbstractAsyncContextManager[ClaimedSchedules]:
        """Active schedules whose cursor is at or before now, that no other scheduler holds.
        The cursor moves commit when the block ends without an error."""
        ...

    async def earliest_tick(self) -> datetime | None:
        """The cursor of the active schedule due first."""
        ...
