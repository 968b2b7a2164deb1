"""What the schedule bodies' schemas say beyond msgspec's: one cadence, known zones, queues."""

from functools import cache
from typing import Any
from zoneinfo import available_timezones

# cron and every: a body gives exactly one.
ONE_CADENCE = {"oneOf": [{"required": ["cron"]}, {"required": ["every"]}]}


@cache
def known_timezones() -> list[str]:
    return sorted(available_timezones())


def describe_schedule_bodies(schemas: dict[str, Any], queues: tuple[str, ...]) -> None:
    for body in ("ScheduleCreate", "ScheduleReplace"):
        schemas[body].update(ONE_CADENCE)
        properties = schemas[body]["properties"]
        properties["queue"]["enum"] = list(queues)
        properties["timezone"]["enum"] = known_timezones()
