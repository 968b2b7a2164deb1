"""The domain's limits per job type: what a limit may hold, the token bucket, and how many
claimable jobs of a type may start now."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from taskforge_domain.job_type_limit import (
    HOLD_BACK,
    HoldReason,
    InvalidLimit,
    JobTypeLimit,
    Rate,
    RatePeriod,
    TokenBucket,
)
from taskforge_domain.limit_budget import Budget

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PER_MINUTE = Rate(60, RatePeriod.MINUTE)


@dataclass(frozen=True, slots=True)
class Admission:
    starts: int
    retry_at: datetime
    waits_for: HoldReason


def admit(
    limit: JobTypeLimit,
    running: int,
    bucket: TokenBucket | None,
    now: datetime,
    claimable: int,
) -> Admission:
    """One limit alone over `claimable` jobs: what a claim's Budget lets start of them."""
    budget = Budget.of(limit, running, bucket)
    while budget.started < claimable and budget.lacks() is None:
        budget.take()
    return Admission(budget.started, budget.retry_at(now), budget.lacks() or HoldReason.SLOT)


@pytest.mark.parametrize(
    ("concurrency", "rate", "error"),
    [
        (None, None, "needs concurrency, rate or both"),
        (0, None, "concurrency: must be from 1"),
        (100_001, None, "concurrency: must be from 1"),
        (None, Rate(0, RatePeriod.SECOND), "rate: must allow from 1"),
    ],
)
def test_a_limit_refuses_what_it_cannot_hold(
    concurrency: int | None, rate: Rate | None, error: str
) -> None:
    with pytest.raises(InvalidLimit, match=error):
        JobTypeLimit("render", concurrency, rate)


def test_a_bucket_refills_at_the_rate_up_to_one_period() -> None:
    empty = TokenBucket(0.0, NOW)
    assert empty.refilled(PER_MINUTE, NOW + timedelta(seconds=10)).tokens == 10.0
    assert empty.refilled(PER_MINUTE, NOW + timedelta(hours=1)).tokens == 60.0


def test_a_clock_behind_the_bucket_refills_nothing_and_moves_it_not_back() -> None:
    bucket = TokenBucket(2.0, NOW).refilled(PER_MINUTE, NOW - timedelta(seconds=30))
    assert bucket == TokenBucket(2.0, NOW)


def test_concurrency_starts_only_the_free_slots_and_the_rest_wait_a_hold_back() -> None:
    limit = JobTypeLimit("render", 3, None)
    admission = admit(limit, running=1, bucket=None, now=NOW, claimable=5)
    assert admission.starts == 2
    assert admission.retry_at == NOW + HOLD_BACK


def test_a_full_concurrency_starts_nothing() -> None:
    assert admit(JobTypeLimit("render", 3, None), 4, None, NOW, 2).starts == 0


def test_a_rate_starts_its_whole_tokens_and_the_rest_wait_for_the_next() -> None:
    limit = JobTypeLimit("email", None, Rate(2, RatePeriod.SECOND))
    admission = admit(limit, 0, TokenBucket(2.5, NOW), NOW, 5)
    assert admission.starts == 2
    # Half a token is left; the next whole one comes a quarter of a second later.
    assert admission.retry_at == NOW + timedelta(seconds=0.25)


def test_with_both_the_tighter_one_decides() -> None:
    limit = JobTypeLimit("email", 10, Rate(100, RatePeriod.HOUR))
    assert admit(limit, 9, TokenBucket(50.0, NOW), NOW, 5).starts == 1
    assert admit(limit, 0, TokenBucket(1.0, NOW), NOW, 5).starts == 1


def test_everything_claimable_starts_under_the_limit_and_nothing_waits() -> None:
    admission = admit(JobTypeLimit("render", 10, None), 2, None, NOW, 3)
    assert admission.starts == 3


def test_a_held_back_job_waits_scheduled_with_its_attempts_untouched() -> None:
    job = Job.submit(job_id=uuid4(), job_type="render", payload={}, max_attempts=3, now=NOW)
    queued = job.enqueue(NOW)
    held = queued.hold_back(NOW + HOLD_BACK, NOW)
    assert (held.status, held.attempt, held.run_at) == (JobStatus.SCHEDULED, 0, NOW + HOLD_BACK)
    assert held.revision == queued.revision + 1


@pytest.mark.parametrize(
    ("per", "seconds"),
    [(RatePeriod.SECOND, 1), (RatePeriod.MINUTE, 60), (RatePeriod.HOUR, 3600)],
)
def test_a_rate_per_period_is_its_starts_spread_over_the_period(
    per: RatePeriod, seconds: int
) -> None:
    assert Rate(120, per).per_second == 120 / seconds
