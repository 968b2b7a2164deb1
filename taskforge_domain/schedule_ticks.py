"""When a schedule's ticks fall, and which of the due ones fire: the catch-up and overlap
rules, decided on a sequence of ticks that the caller supplies."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from taskforge_domain.schedule import CatchUp, Overlap

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Ticks(Protocol):
    """A schedule's ticks, as aware datetimes."""

    def after(self, moment: datetime) -> datetime | None:
        """The first tick strictly after moment; None when no tick comes any more."""
        ...

    def at_or_before(self, moment: datetime) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class EveryTicks:
    """Ticks a fixed interval apart, counted from the Unix epoch, so that every scheduler
    computes the same ticks and `every: 1h` falls on the hour (UTC)."""

    interval: timedelta

    def at_or_before(self, moment: datetime) -> datetime:
        return _EPOCH + ((moment - _EPOCH) // self.interval) * self.interval

    def after(self, moment: datetime) -> datetime:
        return self.at_or_before(moment) + self.interval


def upcoming(ticks: Ticks, start: datetime | None, count: int) -> list[datetime]:
    """The first `count` ticks from start on, start itself included."""
    found: list[datetime] = []
    tick = start
    while tick is not None and len(found) < count:
        found.append(tick)
        tick = ticks.after(tick)
    return found


@dataclass(frozen=True, slots=True)
class Firing:
    ticks: tuple[datetime, ...]
    """The ticks to fire now, oldest first."""
    next_tick: datetime | None
    """The schedule's cursor after them: every tick before it is fired or skipped."""


@dataclass(frozen=True, slots=True)
class FiringRules:
    catch_up: CatchUp
    overlap: Overlap
    grace: timedelta
    """A tick more than this late counts as missed (no scheduler ran to fire it)."""
    limit: int
    """The most ticks one pass fires; the cursor stops there and the next pass goes on."""


def plan_firing(
    ticks: Ticks,
    cursor: datetime,
    now: datetime,
    rules: FiringRules,
    previous_active: bool,
) -> Firing:
    """Which ticks from cursor up to now fire: those on time always; of the missed ones
    none, the latest or all (catch_up); with overlap=skip, none while the previous tick's
    job is unfinished and otherwise only the first, since the others would overlap it."""
    late = now - rules.grace
    due: list[datetime] = []
    tick: datetime | None = cursor
    if cursor <= late:
        if rules.catch_up is CatchUp.ALL:
            while tick is not None and tick <= late and len(due) < rules.limit:
                due.append(tick)
                tick = ticks.after(tick)
        else:
            latest = ticks.at_or_before(late)
            if rules.catch_up is CatchUp.LATEST and latest is not None and latest >= cursor:
                due.append(latest)
            tick = ticks.after(late)
    while tick is not None and tick <= now and len(due) < rules.limit:
        due.append(tick)
        tick = ticks.after(tick)
    if rules.overlap is Overlap.SKIP:
        due = [] if previous_active else due[:1]
    return Firing(tuple(due), tick)
