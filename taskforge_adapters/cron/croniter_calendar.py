"""Cron ticks by croniter, in IANA time zones through zoneinfo.

Daylight-saving changes follow Vixie cron: a tick whose wall-clock time is skipped when
the clocks go forward fires at the first moment after the gap; when the clocks go back,
an expression with fixed hours fires once, in the first pass through the repeated hour,
and one with `*` or a step in its hour field fires in both passes, as time elapses."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadDateError, croniter

from taskforge_app.ports.cron_calendar import CronCalendar, UnknownTimezone

_SIX_FIELDS = 6
_HOUR_FIELD = 1
_A_MICROSECOND = timedelta(microseconds=1)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name: str) -> ZoneInfo:
    if name not in _zones():
        raise UnknownTimezone(name)
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class CroniterTicks:
    expression: str
    zone: ZoneInfo

    def after(self, moment: datetime) -> datetime | None:
        tick = self._step(moment, forward=True)
        while tick is not None and self._repeated(tick):
            tick = self._step(tick, forward=True)
        return tick

    def at_or_before(self, moment: datetime) -> datetime | None:
        tick = self._step(moment + _A_MICROSECOND, forward=False)
        while tick is not None and self._repeated(tick):
            tick = self._step(tick, forward=False)
        return tick

    def _step(self, moment: datetime, *, forward: bool) -> datetime | None:
        fields = self.expression.split()
        cron = croniter(
            self.expression,
            moment.astimezone(self.zone),
            second_at_beginning=len(fields) == _SIX_FIELDS,
        )
        try:
            tick: datetime = cron.get_next(datetime) if forward else cron.get_prev(datetime)
        except CroniterBadDateError:
            # A date that never comes (30 February), or none within croniter's search.
            return None
        return tick.astimezone(UTC)

    def _repeated(self, tick: datetime) -> bool:
        """The second pass through a repeated wall-clock time, for fixed hours."""
        fields = self.expression.split()
        hours = fields[_HOUR_FIELD + (len(fields) == _SIX_FIELDS)]
        if "*" in hours or "/" in hours:
            return False
        wall = tick.astimezone(self.zone).replace(tzinfo=None)
        first = wall.replace(tzinfo=self.zone, fold=0)
        # Compared in UTC: within one zone Python compares wall-clock times, fold aside.
        return first.astimezone(UTC) < tick.astimezone(UTC)


class CroniterCalendar(CronCalendar):
    def ticks(self, expression: str, timezone: str) -> CroniterTicks:
        return CroniterTicks(expression, _zone(timezone))

    def check_timezone(self, timezone: str) -> None:
        _zone(timezone)
