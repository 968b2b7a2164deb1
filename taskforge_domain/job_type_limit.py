"""Global limits per job type: how many attempts may run at once, how many may start per
period, and how many of a batch of claimable jobs may start now."""

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


@dataclass(frozen=True, slots=True)
class JobTypeLimit:
    job_type: str
    concurrency: int | None
    rate: Rate | None

    def __post_init__(self) -> None:
        if self.concurrency is None and self.rate is None:
            raise InvalidLimit("a limit needs concurrency, rate or both")
        if self.concurrency is not None and not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise InvalidLimit(f"concurrency: must be from 1 to {MAX_CONCURRENCY}")
        if self.rate is not None and not 1 <= self.rate.starts <= MAX_RATE:
            raise InvalidLimit(f"rate: must allow from 1 to {MAX_RATE} starts per period")

    def full_bucket(self, now: datetime) -> TokenBucket | None:
        """The bucket a new rate starts with: a whole period's starts."""
        return None if self.rate is None else TokenBucket(float(self.rate.starts), now)


@dataclass(frozen=True, slots=True)
class Admission:
    """How many of the claimable jobs of one type may start now, and when to try the others."""

    starts: int
    retry_at: datetime
    waits_for: HoldReason = HoldReason.SLOT
    starts_due: int = 0
    """Waiting for the rate: the starts it allows at retry_at, so that a release can queue
    that many held-back jobs again, and one more that, held back, keeps the releases going."""


def admit(
    limit: JobTypeLimit,
    running: int,
    bucket: TokenBucket | None,
    now: datetime,
    claimable: int,
) -> Admission:
    """At most the free slots and the whole tokens; the rest wait for a slot (HOLD_BACK)
    or for the next token, whichever they need."""
    free = claimable if limit.concurrency is None else max(limit.concurrency - running, 0)
    tokens = claimable if bucket is None else int(bucket.tokens)
    starts = min(claimable, free, tokens)
    if free <= starts or limit.rate is None or bucket is None:
        # A slot frees first; should the rate have no start then, it is held back again.
        waits = [HOLD_BACK]
        if limit.rate is not None and bucket is not None and tokens <= starts:
            waits.append(bucket.spent(starts).next_token_in(limit.rate))
        return Admission(starts, now + max(waits))
    left = bucket.spent(starts)
    retry_at = now + max(left.next_token_in(limit.rate), SOONEST_RELEASE)
    due = left.whole_tokens_at(limit.rate, retry_at)
    return Admission(starts, retry_at, HoldReason.RATE, due + 1)
