from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskforge_domain.backoff import FullJitterBackoff
from tests.unit.fakes import draw_highest

MICROSECOND = timedelta(microseconds=1)

bases = st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(hours=1))
caps = st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=7))
attempts = st.integers(min_value=0, max_value=60) | st.integers(min_value=0, max_value=2**200)
fractions = st.floats(min_value=0.0, max_value=1.0)
anything = st.floats(allow_nan=False)

modest = settings(max_examples=80, deadline=None)


def spec_ceiling(base: timedelta, cap: timedelta, attempt: int) -> timedelta:
    """min(cap, base * 2^attempt), in exact integer microseconds."""
    base_us, cap_us = base // MICROSECOND, cap // MICROSECOND
    if attempt >= cap_us.bit_length():
        return cap
    return timedelta(microseconds=min(cap_us, base_us << attempt))


def within(low: float, high: float, fraction: float) -> float:
    return low + fraction * (high - low)


@modest
@given(base=bases, cap=caps, attempt=attempts, fraction=fractions)
def test_the_delay_stays_between_zero_and_the_spec_ceiling(
    base: timedelta, cap: timedelta, attempt: int, fraction: float
) -> None:
    backoff = FullJitterBackoff(base, cap, lambda low, high: within(low, high, fraction))

    delay = backoff.delay(attempt)

    assert timedelta(0) <= delay <= spec_ceiling(base, cap, attempt)


@modest
@given(base=bases, cap=caps, attempt=attempts, drawn=anything)
def test_a_random_source_out_of_range_is_clamped(
    base: timedelta, cap: timedelta, attempt: int, drawn: float
) -> None:
    backoff = FullJitterBackoff(base, cap, lambda low, high: drawn)

    delay = backoff.delay(attempt)

    assert timedelta(0) <= delay <= spec_ceiling(base, cap, attempt)


@modest
@given(base=bases, cap=caps, attempt=attempts)
def test_the_ceiling_is_min_of_cap_and_base_doubled_per_attempt(
    base: timedelta, cap: timedelta, attempt: int
) -> None:
    assert FullJitterBackoff(base, cap, draw_highest).ceiling(attempt) == spec_ceiling(
        base, cap, attempt
    )


@modest
@given(base=bases, cap=caps, attempt=attempts)
def test_the_ceiling_never_decreases_as_attempts_grow(
    base: timedelta, cap: timedelta, attempt: int
) -> None:
    backoff = FullJitterBackoff(base, cap, draw_highest)

    assert backoff.ceiling(attempt) <= backoff.ceiling(attempt + 1) <= cap


@modest
@given(base=bases, cap=caps)
def test_the_ceiling_reaches_the_cap(base: timedelta, cap: timedelta) -> None:
    backoff = FullJitterBackoff(base, cap, draw_highest)

    assert backoff.ceiling(64) == cap
    assert backoff.ceiling(10**100) == cap


@modest
@given(base=bases, cap=caps, attempt=attempts)
def test_the_delay_is_drawn_from_the_injected_source_over_zero_to_the_ceiling(
    base: timedelta, cap: timedelta, attempt: int
) -> None:
    asked: list[tuple[float, float]] = []

    def source(low: float, high: float) -> float:
        asked.append((low, high))
        return high

    backoff = FullJitterBackoff(base, cap, source)

    delay = backoff.delay(attempt)

    assert delay == backoff.ceiling(attempt)
    assert asked == [(0.0, backoff.ceiling(attempt).total_seconds())]


def test_a_source_returning_its_low_end_gives_no_delay() -> None:
    backoff = FullJitterBackoff(timedelta(seconds=5), timedelta(minutes=15), lambda low, high: low)

    assert backoff.delay(3) == timedelta(0)


def test_the_spec_defaults_double_from_five_seconds_up_to_fifteen_minutes() -> None:
    backoff = FullJitterBackoff(timedelta(seconds=5), timedelta(minutes=15), draw_highest)

    ceilings = [backoff.ceiling(attempt).total_seconds() for attempt in range(10)]

    assert ceilings == [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]


@pytest.mark.parametrize(
    ("base", "cap"),
    [
        (timedelta(0), timedelta(minutes=1)),
        (timedelta(seconds=-1), timedelta(minutes=1)),
        (timedelta(seconds=1), timedelta(0)),
        (timedelta(seconds=1), timedelta(seconds=-5)),
    ],
)
def test_a_base_or_cap_that_is_not_positive_is_refused(base: timedelta, cap: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        FullJitterBackoff(base, cap, draw_highest)
