"""Set and remove the global limits per queue; each change goes on the audit trail."""

from typing import Any

from taskforge_app.callers import Caller
from taskforge_app.pause_queue import KnownQueues, QueueNotFound
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.clock import Clock
from taskforge_app.ports.queue_limits import QueueLimits, StoredQueueLimit
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs
from taskforge_domain.limit_budget import LimitScope
from taskforge_domain.queue_limit import QueueLimit


class QueueLimitNotFound(Exception):
    def __init__(self, queue: str) -> None:
        super().__init__(f"queue {queue!r} has no limit")
        self.queue = queue


def queue_limit_details(limit: QueueLimit) -> dict[str, Any]:
    rate = None if limit.rate is None else {"starts": limit.rate.starts, "per": limit.rate.per}
    return {"queue": limit.queue, "concurrency": limit.concurrency, "rate": rate}


class SetQueueLimit:
    """Set a queue's limit; attempts already running above a lowered limit finish."""

    def __init__(
        self, limits: QueueLimits, audit: AuditTrail, clock: Clock, known: KnownQueues
    ) -> None:
        self._limits = limits
        self._audit = audit
        self._clock = clock
        self._known = known.names

    async def __call__(self, caller: Caller, limit: QueueLimit) -> StoredQueueLimit:
        caller.grant.require_queues([limit.queue])
        if limit.queue not in self._known:
            raise QueueNotFound(limit.queue, self._known)
        now = self._clock.now()
        stored = await self._limits.put_queue_limit(limit, now, caller.name)
        details = queue_limit_details(limit)
        await self._audit.record(
            AuditEntry(now, caller.name, "queue.limit.set", (), details, caller.request_id)
        )
        return stored


class ListQueueLimits:
    """Every queue's limit, with its slots in use."""

    def __init__(self, limits: QueueLimits) -> None:
        self._limits = limits

    async def __call__(self) -> list[StoredQueueLimit]:
        return await self._limits.all_queue_limits()


class RemoveQueueLimit:
    """Drop a queue's limit: its jobs start as freely as their types' limits let them, the
    ones it held back at once."""

    def __init__(
        self,
        limits: QueueLimits,
        audit: AuditTrail,
        clock: Clock,
        release: ReleaseHeldBackJobs | None = None,
    ) -> None:
        self._limits = limits
        self._audit = audit
        self._clock = clock
        self._release = release

    async def __call__(self, caller: Caller, queue: str) -> StoredQueueLimit:
        caller.grant.require_queues([queue])
        removed = await self._limits.remove_queue_limit(queue)
        if removed is None:
            raise QueueLimitNotFound(queue)
        details = queue_limit_details(removed.limit)
        await self._audit.record(
            AuditEntry(
                self._clock.now(), caller.name, "queue.limit.delete", (), details, caller.request_id
            )
        )
        if self._release is not None:
            await self._release.after_limit_removed(LimitScope.QUEUE, queue)
        return removed
