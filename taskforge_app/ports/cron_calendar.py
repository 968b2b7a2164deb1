from typing import Protocol

from taskforge_domain.schedule_ticks import Ticks


class UnknownTimezone(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"timezone: {name!r} is not an IANA time zone this host knows")
        self.name = name


class CronCalendar(Protocol):
    """The ticks of cron expressions in a time zone, daylight-saving changes included."""

    def ticks(self, expression: str, timezone: str) -> Ticks:
        """Raises UnknownTimezone."""
        ...

    def check_timezone(self, timezone: str) -> None:
        """Raises UnknownTimezone."""
        ...
