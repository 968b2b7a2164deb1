from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job
from taskforge_domain.job_type_limit import JobTypeLimit
from taskforge_domain.limit_budget import LimitScope, RateWait


@dataclass(frozen=True, slots=True)
class StoredLimit:
    """A job type's limit as the store keeps it, with what it holds to now."""

    limit: JobTypeLimit
    updated_at: datetime
    updated_by: str
    running: int = 0
    """Attempts of the type running now: the slots in use."""
    tokens: float | None = None
    """Starts the rate still allows at once, as last refilled; None without a rate."""


class JobTypeLimits(Protocol):
    """The limits operators set per job type.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def all_limits(self) -> list[StoredLimit]:
        """Every limit, by job type."""
        ...

    async def put(self, limit: JobTypeLimit, now: datetime, actor: str) -> StoredLimit:
        """Set the type's limit, replacing any; a rate left as it was keeps its bucket."""
        ...

    async def remove(self, job_type: str) -> StoredLimit | None:
        """Drop the type's limit; the limit that was, or None when there was none."""
        ...


@dataclass(frozen=True, slots=True)
class LimitedClaim:
    started: list[Job]
    held_back: list[Job]
    """Made `scheduled` until their limit may let them start; their messages are stale."""
    rate_waits: list[RateWait] = field(default_factory=list)
    """When the rates that held some of them back allow starts again."""


class LimitedClaims(Protocol):
    """Claims of jobs whose type has a limit: exact across every worker.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def claim_within_limits(
        self, job_ids: Sequence[UUID], now: datetime, lease: timedelta, worker: str
    ) -> LimitedClaim:
        """Start (Job.start) as many of these claimable jobs as the limits of their types
        and queues allow now, and hold the rest back (Job.hold_back); claimable jobs under
        no limit all start. Claims under one limit take turns, so no two ever count the
        same free slot or token."""
        ...


class HeldBackJobs(Protocol):
    """The jobs limits hold back, queued again as soon as their limit may let them start.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def release_slots(
        self, by_type: Mapping[str, int], by_queue: Mapping[str, int], now: datetime
    ) -> list[Job]:
        """Queue again, per limited job type and per limited queue, up to that many of its
        oldest jobs waiting for a slot."""
        ...

    async def release_starts(
        self, scope: LimitScope, key: str, count: int, now: datetime
    ) -> list[Job]:
        """Queue again up to `count` of the oldest jobs of a job type or a queue waiting
        for a rate."""
        ...

    async def release_all(
        self, scope: LimitScope, key: str, count: int, now: datetime
    ) -> list[Job]:
        """Queue again up to `count` of the oldest held-back jobs of a job type or a queue,
        whatever they wait for: its limit is gone."""
        ...
