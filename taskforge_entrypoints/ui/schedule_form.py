"""The create-schedule form: its fields read into the REST API's schedule body, so the
form and `POST /v1/schedules` accept and refuse the same schedules."""

from dataclasses import dataclass
from typing import Any

import msgspec

from taskforge_domain.schedule import CatchUp, Overlap
from taskforge_entrypoints.rest.schedules_controller import ScheduleCreate

FIELDS = (
    "name",
    "cron",
    "every",
    "timezone",
    "job_type",
    "payload",
    "queue",
    "max_attempts",
    "catch_up",
    "overlap",
)
DEFAULTS = {
    "timezone": "UTC",
    "payload": "{}",
    "queue": "normal",
    "catch_up": CatchUp.LATEST.value,
    "overlap": Overlap.ALLOW.value,
}


class InvalidScheduleForm(ValueError):
    """What is wrong with the form, in the words shown above it."""


@dataclass(frozen=True, slots=True)
class ScheduleForm:
    """The fields as typed, shown again beside the error when the form is refused."""

    values: dict[str, str]

    @classmethod
    def blank(cls) -> "ScheduleForm":
        return cls({field: DEFAULTS.get(field, "") for field in FIELDS})

    @classmethod
    def of(cls, form: Any) -> "ScheduleForm":
        return cls({field: str(form.get(field, "")).strip() for field in FIELDS})

    def body(self) -> ScheduleCreate:
        """The schedule asked for, checked as the REST API checks it."""
        body: dict[str, Any] = {k: v for k, v in self.values.items() if v and k != "payload"}
        try:
            body["payload"] = msgspec.json.decode(self.values["payload"] or "{}")
        except msgspec.DecodeError as exc:
            raise InvalidScheduleForm(f"payload: not valid JSON ({exc})") from None
        if "max_attempts" in body:
            if not body["max_attempts"].isdigit() or len(body["max_attempts"]) > 9:
                raise InvalidScheduleForm("max_attempts: a whole number, or empty for the default")
            body["max_attempts"] = int(body["max_attempts"])
        try:
            return msgspec.convert(body, ScheduleCreate)
        except msgspec.ValidationError as exc:
            raise InvalidScheduleForm(str(exc)) from None
