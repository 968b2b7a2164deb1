"""Limits per job type and per queue as JSON: what /v1/limits and /v1/queues/{name}/limit
answer and `taskforge limits --json` prints."""

from datetime import datetime

import msgspec

from taskforge_app.ports.job_type_limits import StoredLimit
from taskforge_app.ports.queue_limits import StoredQueueLimit
from taskforge_domain.job_type_limit import RatePeriod


class RateJson(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    starts: int
    per: RatePeriod


class LimitOut(msgspec.Struct, frozen=True, kw_only=True):
    job_type: str
    concurrency: int | None
    rate: RateJson | None
    running: int
    """Attempts of the type running now: the concurrency slots in use."""
    tokens: float | None
    """Starts the rate still allows at once, as of its last claim (refilled since)."""
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, stored: StoredLimit) -> "LimitOut":
        rate = stored.limit.rate
        return cls(
            job_type=stored.limit.job_type,
            concurrency=stored.limit.concurrency,
            rate=None if rate is None else RateJson(starts=rate.starts, per=rate.per),
            running=stored.running,
            tokens=None if stored.tokens is None else round(stored.tokens, 3),
            updated_at=stored.updated_at,
            updated_by=stored.updated_by,
        )


class QueueLimitOut(msgspec.Struct, frozen=True, kw_only=True):
    queue: str
    concurrency: int | None
    rate: RateJson | None
    running: int
    """Attempts of the queue running now: the concurrency slots in use."""
    tokens: float | None
    """Starts the rate still allows at once, as of its last claim (refilled since)."""
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, stored: StoredQueueLimit) -> "QueueLimitOut":
        rate = stored.limit.rate
        return cls(
            queue=stored.limit.queue,
            concurrency=stored.limit.concurrency,
            rate=None if rate is None else RateJson(starts=rate.starts, per=rate.per),
            running=stored.running,
            tokens=None if stored.tokens is None else round(stored.tokens, 3),
            updated_at=stored.updated_at,
            updated_by=stored.updated_by,
        )


class LimitsOut(msgspec.Struct, frozen=True, kw_only=True):
    limits: list[LimitOut]
    queue_limits: list[QueueLimitOut]
