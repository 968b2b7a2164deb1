"""The create-schedule form: read into the REST API's body, refused in words a person reads."""

from datetime import timedelta

import pytest

from taskforge_domain.schedule import CatchUp, Overlap
from taskforge_entrypoints.ui.schedule_form import InvalidScheduleForm, ScheduleForm

QUEUES = ("high", "normal", "low")


def filled(**fields: str) -> ScheduleForm:
    values = ScheduleForm.blank().values | {"name": "nightly", "job_type": "add"} | fields
    return ScheduleForm.of(values)


def test_a_filled_form_reads_into_the_spec_the_api_would_make() -> None:
    form = filled(
        every=" 1h30m ",
        queue="high",
        max_attempts="4",
        catch_up="all",
        overlap="skip",
        payload='{"numbers": [1, 2]}',
    )
    body = form.body()
    spec = body.spec(QUEUES)
    assert body.name == "nightly"
    assert (spec.every, spec.cron, spec.timezone) == (timedelta(hours=1, minutes=30), None, "UTC")
    assert (spec.job_type, spec.queue, spec.max_attempts) == ("add", "high", 4)
    assert (spec.catch_up, spec.overlap) == (CatchUp.ALL, Overlap.SKIP)
    assert spec.payload == {"numbers": [1, 2]}


def test_the_blank_form_holds_the_apis_defaults() -> None:
    body = filled(cron="*/5 * * * *").body()
    spec = body.spec(QUEUES)
    assert (spec.queue, spec.max_attempts, spec.payload) == ("normal", None, {})
    assert (spec.catch_up, spec.overlap) == (CatchUp.LATEST, Overlap.ALLOW)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"payload": "{not json"}, "payload: not valid JSON"),
        ({"payload": "[1, 2]"}, "$.payload"),
        ({"max_attempts": "three"}, "max_attempts: a whole number"),
        ({"name": "no spaces here"}, "$.name"),
        ({"every": "soon"}, "$.every"),
        ({"catch_up": "never"}, "$.catch_up"),
        ({"job_type": ""}, "job_type"),
    ],
)
def test_a_wrong_field_is_named(fields: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidScheduleForm, match=named.replace("$", r"\$").replace("[", r"\[")):
        filled(**fields).body()


def test_the_values_typed_are_kept_to_show_again() -> None:
    typed = {"name": " nightly ", "payload": '{"a": 1}', "unknown": "dropped"}
    assert ScheduleForm.of(typed).values == {
        "name": "nightly",
        "cron": "",
        "every": "",
        "timezone": "",
        "job_type": "",
        "payload": '{"a": 1}',
        "queue": "",
        "max_attempts": "",
        "catch_up": "",
        "overlap": "",
    }
