"""A handler's own wait for the next attempt (`retry_in`) replaces the backoff, and only that."""

from datetime import timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import RetryableError
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from taskforge_domain.retry_delay import MAX_RETRY_IN
from tests.unit.fakes import START

LATER = START + timedelta(minutes=1)
LEASE = timedelta(seconds=35)

INVALID = [
    (timedelta(microseconds=-1), ValueError, "must not be negative"),
    (timedelta(seconds=-30), ValueError, "must not be negative"),
    (MAX_RETRY_IN + timedelta(microseconds=1), ValueError, "at most 1 day"),
    (timedelta(days=365), ValueError, "at most 1 day"),
    (30, TypeError, "must be a timedelta, not int"),
    (30.0, TypeError, "must be a timedelta, not float"),
]


def never_drawn(low: float, high: float) -> float:
    raise AssertionError("the backoff was drawn although the handler said how long to wait")


NO_DRAW = FullJitterBackoff(timedelta(seconds=1), timedelta(minutes=15), never_drawn)


def running(attempt: int = 1, max_attempts: int = 5) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type="fetch", payload={}, max_attempts=max_attempts, now=START
    )
    job = job.enqueue(START).start(START, LEASE)
    while job.attempt < attempt:
        job = job.fail("earlier", START, NO_DRAW, retry_in=timedelta(0))
        job = job.enqueue(START).start(START, LEASE)
    return job


@given(
    retry_in=st.timedeltas(min_value=timedelta(0), max_value=MAX_RETRY_IN),
    attempt=st.integers(min_value=1, max_value=4),
)
def test_a_retry_in_with_attempts_left_sets_run_at_to_now_plus_it(
    retry_in: timedelta, attempt: int
) -> None:
    job = running(attempt, max_attempts=5)

    retrying = job.fail("rate limited", LATER, NO_DRAW, retry_in=retry_in)

    assert retrying.status is JobStatus.RETRYING
    assert retrying.run_at == LATER + retry_in
    assert (retrying.attempt, retrying.last_error) == (attempt, "rate limited")
    assert retrying.lease_expires_at is None


@given(retry_in=st.timedeltas(min_value=timedelta(0), max_value=MAX_RETRY_IN))
def test_a_retry_in_on_the_last_attempt_is_dead_as_without_it(retry_in: timedelta) -> None:
    job = running(attempt=3, max_attempts=3)

    dead = job.fail("rate limited", LATER, NO_DRAW, retry_in=retry_in)

    assert (dead.status, dead.attempt, dead.last_error) == (JobStatus.DEAD, 3, "rate limited")


def test_a_retry_in_still_loses_to_a_cancel_asked_while_the_attempt_ran() -> None:
    job = running().request_cancel(START)

    cancelled = job.fail("rate limited", LATER, NO_DRAW, retry_in=timedelta(seconds=30))

    assert cancelled.status is JobStatus.CANCELLED


@pytest.mark.parametrize("retry_in", [timedelta(0), MAX_RETRY_IN])
def test_the_bounds_themselves_are_accepted(retry_in: timedelta) -> None:
    assert running().fail("x", LATER, NO_DRAW, retry_in=retry_in).run_at == LATER + retry_in


@pytest.mark.parametrize(("retry_in", "refusal", "message"), INVALID)
@pytest.mark.parametrize("attempts_left", [True, False])
def test_an_invalid_retry_in_is_refused_by_the_domain_whatever_the_attempt(
    retry_in: object, refusal: type[Exception], message: str, attempts_left: bool
) -> None:
    job = running(attempt=1, max_attempts=3 if attempts_left else 1)

    with pytest.raises(refusal, match=message):
        job.fail("x", LATER, NO_DRAW, retry_in=retry_in)  # type: ignore[arg-type]


@pytest.mark.parametrize(("retry_in", "refusal", "message"), INVALID)
def test_an_invalid_retry_in_is_refused_where_the_handler_raises(
    retry_in: object, refusal: type[Exception], message: str
) -> None:
    with pytest.raises(refusal, match=message):
        RetryableError("rate limited", retry_in=retry_in)  # type: ignore[arg-type]


def test_a_retryable_error_carries_its_message_and_wait() -> None:
    error = RetryableError("rate limited", retry_in=timedelta(seconds=30))

    assert (str(error), error.args) == ("rate limited", ("rate limited",))
    assert error.retry_in == timedelta(seconds=30)
    assert RetryableError("busy").retry_in is None


def test_the_wait_of_a_raised_error_cannot_be_changed_afterwards() -> None:
    error = RetryableError("rate limited", retry_in=timedelta(seconds=30))

    with pytest.raises(AttributeError):
        error.retry_in = timedelta(days=30)  # type: ignore[misc]


def test_a_subclass_that_skips_our_init_asks_for_no_wait() -> None:
    class Throttled(RetryableError):
        def __init__(self, service: str) -> None:
            Exception.__init__(self, f"{service} throttled us")

    assert Throttled("maps").retry_in is None
