"""Global limits per job type: how many attempts may run at once, how many may start per
period, the token bucket that counts the starts, and what a held-back job waits for
(limit_budget decides which jobs of a claim start)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MAX_CONCURRENCY = 100_000
MAX_RATE = 1_000_000

HOLD_BACK = timedelta(milliseconds=100)
"""When the scheduler's promote pass may queue a job held back by a full concurrency limit
again, should no ending attempt have released it first."""

SOONEST_RELEASE = timedelta(milliseconds=10)
"""The shortest wait for a rate's next start: a fast rate releases its jobs in groups
rather than one timer per token."""


class HoldReason(StrEnum):
    """What a held-back job waits for, and so what releases it."""

    SLOT = "slot"
    """A full concurrency limit: an attempt of its type ending frees a slot."""
    RATE = "rate"
    """No start left in the rate: the next is due at the job's run_at."""


class RatePeriod(StrEnum):
    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"

    @property
    def length(self) -> timedelta:
        return _PERIOD_LENGTHS[self]


_PERIOD_LENGTHS = {
    RatePeriod.SECOND: timedelta(seconds=1),
    RatePeriod.MINUTE: timedelta(minutes=1),
    RatePeriod.HOUR: timedelta(hours=1),
}


class InvalidLimit(ValueError):
    """A limit cannot be set as asked; the message names the field."""


@dataclass(frozen=True, slots=True)
class Rate:
    starts: int
    per: RatePeriod

    @property
    def per_second(self) -> float:
        return self.starts / self.per.length.total_seconds()


@dataclass(frozen=True, slots=True)
class TokenBucket:
    """The starts a rate still allows: full at `rate.starts`, refilled continuously at the
    rate, so over any span t at most starts + starts * t / period attempts start."""

    tokens: float
    refilled_at: datetime

    def refilled(self, rate: Rate, now: datetime) -> "TokenBucket":
        # Workers' clocks differ a little: time never runs backwards for the bucket.
        elapsed = max((now - self.refilled_at).total_seconds(), 0.0)
        tokens = min(float(rate.starts), self.tokens + elapsed * rate.per_second)
        return TokenBucket(tokens, max(now, self.refilled_at))

    def spent(self, starts: int) -> "TokenBucket":
        return TokenBucket(max(self.tokens - starts, 0.0), self.refilled_at)

    def whole_tokens_at(self, rate: Rate, at: datetime) -> int:
        return int(self.refilled(rate, at).tokens)

    def next_token_in(self, rate: Rate) -> timedelta:
        missing = max(1.0 - self.tokens, 0.0)
        return timedelta(seconds=missing / rate.per_second)


def check_limit(concurrency: int | None, rate: Rate | None) -> None:
    """Raise InvalidLimit unless these make a limit, of a job type or of a queue."""
    if concurrency is None and rate is None:
        raise InvalidLimit("a limit needs concurrency, rate or both")
    if concurrency is not None and not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidLimit(f"concurrency: must be from 1 to {MAX_CONCURRENCY}")
    if rate is not None and not 1 <= rate.starts <= MAX_RATE:
        raise InvalidLimit(f"rate: must allow from 1 to {MAX_RATE} starts per period")


@dataclass(frozen=True, slots=True)
class JobTypeLimit:
    job_type: str
    concurrency: int | None
    rate: Rate | None

    def __post_init__(self) -> None:
        check_limit(self.concurrency, self.rate)

    def full_bucket(self, now: datetime) -> TokenBucket | None:
        """The bucket a new rate starts with: a whole period's starts."""
        return None if self.rate is None else TokenBucket(float(self.rate.starts), now)
