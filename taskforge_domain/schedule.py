"""A schedule: the job it submits, its cadence (a cron expression or a fixed interval),
what happens to ticks missed while no scheduler ran, and whether ticks may overlap."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from taskforge_domain.errors import DomainError
from taskforge_domain.job_limits import JOB_TYPE_PATTERN, MAX_ATTEMPTS_LIMIT

SCHEDULE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

# One cron field: a list of `*` or a number or a range, each with an optional step. The
# bounds are each field's own, so whatever matches is an expression the calendar takes.
_STEP = r"(/[1-9][0-9]?)?"


def _field(number: str) -> str:
    item = rf"(\*|{number}(-{number})?){_STEP}"
    return rf"{item}(,{item})*"


_SECOND = _field(r"([1-5]?[0-9])")
_MINUTE = _SECOND
_HOUR = _field(r"(2[0-3]|1?[0-9])")
_DAY = _field(r"(3[01]|[12][0-9]|[1-9])")
_MONTH = _field(r"(1[0-2]|[1-9])")
_WEEKDAY = _field(r"[0-7]")
_FIVE = rf"{_MINUTE} {_HOUR} {_DAY} {_MONTH} {_WEEKDAY}"
CRON_PATTERN = rf"^({_SECOND} )?{_FIVE}$"
"""Five fields (minute hour day month weekday), or six with seconds first; numbers only."""

# Whole seconds in Go's syntax (h, m, s, in that order), so every value is at least 1s.
EVERY_PATTERN = r"^(?=[0-9])([1-9][0-9]{0,5}h)?([1-9][0-9]{0,5}m)?([1-9][0-9]{0,5}s)?$"
_EVERY_PART = re.compile(r"([0-9]+)([hms])")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


class InvalidSchedule(DomainError):
    """A schedule cannot be made as asked; the message names the field."""


class ScheduleNotFound(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no schedule named {name!r}")
        self.name = name


class ScheduleNameTaken(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a schedule named {name!r} exists")
        self.name = name


class CatchUp(StrEnum):
    SKIP = "skip"
    """Ticks missed while no scheduler ran are dropped."""
    LATEST = "latest"
    """Of the ticks missed, only the most recent fires."""
    ALL = "all"
    """Every missed tick fires, oldest first."""


class Overlap(StrEnum):
    ALLOW = "allow"
    SKIP = "skip"
    """A tick is skipped while the previous tick's job is still waiting or running."""


def parse_every(text: str) -> timedelta:
    if re.fullmatch(EVERY_PATTERN, text) is None:
        raise InvalidSchedule(
            f"every: {text!r} is not a duration of whole seconds such as 1s, 90s, 5m or 1h30m"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _EVERY_PART.findall(text))
    return timedelta(seconds=seconds)


def format_every(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n)


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """What a schedule submits and when; exactly one of cron and every is set."""

    job_type: str
    payload: dict[str, Any]
    queue: str
    cron: str | None = None
    every: timedelta | None = None
    timezone: str = "UTC"
    max_attempts: int | None = None
    catch_up: CatchUp = CatchUp.LATEST
    overlap: Overlap = Overlap.ALLOW

    def __post_init__(self) -> None:
        if re.fullmatch(JOB_TYPE_PATTERN, self.job_type) is None:
            raise InvalidSchedule(f"job_type: {self.job_type!r} is no job type identifier")
        if (self.cron is None) == (self.every is None):
            raise InvalidSchedule("give cron or every, exactly one of them")
        if self.cron is not None and re.fullmatch(CRON_PATTERN, self.cron) is None:
            raise InvalidSchedule(
                f"cron: {self.cron!r} is not five fields (minute hour day month weekday), "
                "or six with seconds first, of numbers, ranges, lists, steps and *"
            )
        if self.max_attempts is not None and not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise InvalidSchedule(f"max_attempts: must be from 1 to {MAX_ATTEMPTS_LIMIT}")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise InvalidSchedule("every: must be at least 1s")


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    spec: ScheduleSpec
    created_at: datetime
    updated_at: datetime
    next_tick: datetime | None
    """The earliest tick not yet fired or skipped; None once no tick is left to come."""
    paused: bool = False
    last_tick: datetime | None = None
    last_job_id: UUID | None = None
    """The job the last tick (or trigger) created."""


def check_schedule_name(name: str) -> None:
    if re.fullmatch(SCHEDULE_NAME_PATTERN, name) is None:
        raise InvalidSchedule(
            "name: 1 to 64 letters, digits or _.-, starting with a letter or digit"
        )


def tick_key(name: str, tick: datetime) -> str:
    """The idempotency key of the job a tick creates: unique in the store, so a tick fires
    once however many schedulers try it; it also tells which schedule and tick made a job."""
    return f"schedule:{name}:{tick.isoformat()}"


def trigger_key(name: str, at: datetime) -> str:
    return f"schedule:{name}:trigger:{at.isoformat()}"
