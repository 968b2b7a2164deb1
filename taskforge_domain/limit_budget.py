"""What the limits over a claim still allow: a claimable job starts only while every limit
over it (its job type's, its queue's) has a slot and a start left; the others wait for
whichever they lack."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from taskforge_domain.job_type_limit import (
    HOLD_BACK,
    SOONEST_RELEASE,
    HoldReason,
    JobTypeLimit,
    Rate,
    TokenBucket,
)
from taskforge_domain.queue_limit import QueueLimit


@dataclass(slots=True)
class Budget:
    """One limit during one claim: its slots and whole tokens as the claim found them."""

    concurrency: int | None
    rate: Rate | None
    running: int
    bucket: TokenBucket | None
    """Refilled to the claim's now; None without a rate."""
    started: int = 0

    @classmethod
    def of(
        cls, limit: JobTypeLimit | QueueLimit, running: int, bucket: TokenBucket | None
    ) -> "Budget":
        return cls(limit.concurrency, limit.rate, running, bucket)

    def lacks(self) -> HoldReason | None:
        """What one more start would exceed, the slots first; None when it fits."""
        if self.concurrency is not None and self.running + self.started >= self.concurrency:
            return HoldReason.SLOT
        if self.bucket is not None and self.started >= int(self.bucket.tokens):
            return HoldReason.RATE
        return None

    def take(self) -> None:
        self.started += 1

    def spent_bucket(self) -> TokenBucket | None:
        return None if self.bucket is None else self.bucket.spent(self.started)

    def retry_at(self, now: datetime) -> datetime:
        """When a job this limit holds back may be queued again by the promote pass."""
        waits = [HOLD_BACK] if self.lacks() is HoldReason.SLOT else [SOONEST_RELEASE]
        left = self.spent_bucket()
        if self.rate is not None and left is not None and left.tokens < 1.0:
            waits.append(left.next_token_in(self.rate))
        return now + max(waits)

    @property
    def one_start_every(self) -> timedelta:
        """How long the rate takes to allow one more start; nothing without a rate."""
        if self.rate is None:
            return timedelta(0)
        return self.rate.per.length / self.rate.starts

    def starts_due_at(self, at: datetime) -> int:
        """The starts the rate allows at `at`, and one more: held back again, that one
        sets the next release."""
        left = self.spent_bucket()
        if self.rate is None or left is None:
            return 0
        return left.whole_tokens_at(self.rate, at) + 1


class LimitScope(StrEnum):
    """What a limit is set on."""

    JOB_TYPE = "job_type"
    QUEUE = "queue"


@dataclass(frozen=True, slots=True)
class Claimable:
    job_id: UUID
    job_type: str
    queue: str


@dataclass(frozen=True, slots=True)
class Hold:
    job_id: UUID
    until: datetime
    reason: HoldReason


@dataclass(frozen=True, slots=True)
class RateWait:
    """A rate that held jobs back allows `count` starts again at `at`."""

    scope: LimitScope
    key: str
    at: datetime
    count: int
    every: timedelta
    """How long the rate takes to allow one more start."""


@dataclass(slots=True)
class ClaimDecision:
    start: list[UUID] = field(default_factory=list)
    hold: list[Hold] = field(default_factory=list)
    rate_waits: list[RateWait] = field(default_factory=list)


def decide(
    claimable: Sequence[Claimable],
    by_type: Mapping[str, Budget],
    by_queue: Mapping[str, Budget],
    now: datetime,
) -> ClaimDecision:
    """In the order given, start each job that fits every limit over it and spend from
    them; hold the others back for what they lack, a slot before a start."""
    decision = ClaimDecision()
    waiting_rates: dict[tuple[LimitScope, str], Budget] = {}
    for job in claimable:
        over = [
            (scope, key, budget)
            for scope, key, budget in (
                (LimitScope.JOB_TYPE, job.job_type, by_type.get(job.job_type)),
                (LimitScope.QUEUE, job.queue, by_queue.get(job.queue)),
            )
            if budget is not None
        ]
        lacking = [(scope, key, budget) for scope, key, budget in over if budget.lacks()]
        if not lacking:
            for _, _, budget in over:
                budget.take()
            decision.start.append(job.job_id)
            continue
        reasons = {budget.lacks() for _, _, budget in lacking}
        reason = HoldReason.SLOT if HoldReason.SLOT in reasons else HoldReason.RATE
        until = max(budget.retry_at(now) for _, _, budget in lacking)
        decision.hold.append(Hold(job.job_id, until, reason))
        if reason is HoldReason.RATE:
            for scope, key, budget in lacking:
                waiting_rates[(scope, key)] = budget
    for (scope, key), budget in waiting_rates.items():
        at = budget.retry_at(now)
        decision.rate_waits.append(
            RateWait(scope, key, at, budget.starts_due_at(at), budget.one_start_every)
        )
    return decision
