"""How the API reads what a request says: strictly, as its schema states it, and never
into a value the store would fail on."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from taskforge_entrypoints.rest.errors import InvalidQuery
from taskforge_entrypoints.rest.query_values import query_whole_number
from taskforge_entrypoints.rest.request_bodies import strict_convert
from taskforge_entrypoints.rest.schemas import JobCreate
from taskforge_entrypoints.rest.timestamps import in_utc, query_timestamp


def test_a_time_keeps_its_instant_in_utc_and_saturates_past_the_calendar() -> None:
    paris = timezone(timedelta(hours=1))

    assert in_utc(datetime(2026, 12, 1, 10, tzinfo=paris)) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert in_utc(datetime(1, 1, 1, tzinfo=paris)) == datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert in_utc(datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5)))) == datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["0.5", "1764579600", "2026-12-01", "2026-12-01T09:00:00", ""])
def test_a_query_time_is_rfc_3339_with_an_offset(text: str) -> None:
    with pytest.raises(InvalidQuery, match="updated_before"):
        query_timestamp("updated_before", text)


def test_a_query_time_in_lower_case_or_with_an_offset_is_read() -> None:
    assert query_timestamp("t", "2026-12-01t10:00:00+01:00") == datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("text", ["0", "00", "501", "+5", "5.0", "null", "", "\u0665"])
def test_a_query_number_is_plain_digits_within_its_range(text: str) -> None:
    with pytest.raises(InvalidQuery, match="limit"):
        query_whole_number("limit", text, 1, 500)


def test_a_query_number_in_range_is_read() -> None:
    assert query_whole_number("limit", "007", 1, 500) == 7
    assert query_whole_number("limit", None, 1, 500) is None


@pytest.mark.parametrize(
    "body",
    [
        {"job_type": "ping", "max_attempts": "3"},
        {"job_type": "ping", "max_attempts": 2.5},
        {"job_type": "ping", "run_at": 0},
        {"job_type": "ping", "run_at": "2026-12-01T09:00:00"},
        {"job_type": "ping", "delay_seconds": "5"},
    ],
)
def test_a_body_value_of_another_type_is_not_coerced(body: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        strict_convert(body, JobCreate)


def test_a_whole_number_with_a_fraction_is_an_integer_and_an_integer_a_number() -> None:
    job = strict_convert({"job_type": "ping", "max_attempts": 3.0, "delay_seconds": 5}, JobCreate)

    assert (job.max_attempts, type(job.max_attempts)) == (3, int)
    assert job.delay_seconds == 5.0
