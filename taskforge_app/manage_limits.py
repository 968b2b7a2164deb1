"""Set, list and remove the global limits per job type; each change goes on the audit trail."""

from typing import Any

from taskforge_app.callers import Caller
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.clock import Clock
from taskforge_app.ports.job_type_limits import JobTypeLimits, StoredLimit
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs
from taskforge_domain.job_limits import JOB_TYPE_MAX_LENGTH, JOB_TYPE_PATTERN, matches_whole
from taskforge_domain.job_type_limit import InvalidLimit, JobTypeLimit
from taskforge_domain.limit_budget import LimitScope


class LimitNotFound(Exception):
    def __init__(self, job_type: str) -> None:
        super().__init__(f"job type {job_type!r} has no limit")
        self.job_type = job_type


def checked_job_type(job_type: str) -> str:
    if len(job_type) > JOB_TYPE_MAX_LENGTH or not matches_whole(JOB_TYPE_PATTERN, job_type):
        raise InvalidLimit(
            f"job_type: 1 to {JOB_TYPE_MAX_LENGTH} letters, digits or _.:-, "
            "starting with a letter or digit"
        )
    return job_type


def limit_details(limit: JobTypeLimit) -> dict[str, Any]:
    rate = None if limit.rate is None else {"starts": limit.rate.starts, "per": limit.rate.per}
    return {"job_type": limit.job_type, "concurrency": limit.concurrency, "rate": rate}


class SetLimit:
    """Set a job type's limit; attempts already running above a lowered limit finish."""

    def __init__(self, limits: JobTypeLimits, audit: AuditTrail, clock: Clock) -> None:
        self._limits = limits
        self._audit = audit
        self._clock = clock

    async def __call__(self, caller: Caller, limit: JobTypeLimit) -> StoredLimit:
        checked_job_type(limit.job_type)
        now = self._clock.now()
        stored = await self._limits.put(limit, now, caller.name)
        await self._audit.record(
            AuditEntry(now, caller.name, "limit.set", (), limit_details(limit), caller.request_id)
        )
        return stored


class ListLimits:
    """Every job type's limit, with its slots in use."""

    def __init__(self, limits: JobTypeLimits) -> None:
        self._limits = limits

    async def __call__(self) -> list[StoredLimit]:
        return await self._limits.all_limits()


class RemoveLimit:
    """Drop a job type's limit: its jobs start as freely as any other's again, the ones it
    held back at once."""

    def __init__(
        self,
        limits: JobTypeLimits,
        audit: AuditTrail,
        clock: Clock,
        release: ReleaseHeldBackJobs | None = None,
    ) -> None:
        self._limits = limits
        self._audit = audit
        self._clock = clock
        self._release = release

    async def __call__(self, caller: Caller, job_type: str) -> StoredLimit:
        removed = await self._limits.remove(job_type)
        if removed is None:
            raise LimitNotFound(job_type)
        await self._audit.record(
            AuditEntry(
                self._clock.now(),
                caller.name,
                "limit.delete",
                (),
                limit_details(removed.limit),
                caller.request_id,
            )
        )
        if self._release is not None:
            await self._release.after_limit_removed(LimitScope.JOB_TYPE, job_type)
        return removed
