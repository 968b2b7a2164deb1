"""The ticks of a schedule's spec: computed here for `every`, by the calendar for cron."""

from taskforge_app.ports.cron_calendar import CronCalendar
from taskforge_domain.schedule import ScheduleSpec
from taskforge_domain.schedule_ticks import EveryTicks, Ticks


def ticks_of(calendar: CronCalendar, spec: ScheduleSpec) -> Ticks:
    calendar.check_timezone(spec.timezone)
    if spec.every is not None:
        return EveryTicks(spec.every)
    assert spec.cron is not None
    return calendar.ticks(spec.cron, spec.timezone)
