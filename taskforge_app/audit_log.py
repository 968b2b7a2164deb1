from datetime import timedelta

from taskforge_app.ports.audit_trail import AuditEntry, AuditQuery, AuditTrail
from taskforge_app.ports.clock import Clock

_PURGE_BATCH = 1000


class ListAudit:
    """The audit trail, newest first, one keyset page at a time."""

    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    async def __call__(self, query: AuditQuery) -> list[AuditEntry]:
        return await self._trail.entries(query)


class PurgeAudit:
    """Forget entries older than AUDIT_RETENTION, in bounded batches so the scheduler's
    tick never holds a long delete."""

    def __init__(self, trail: AuditTrail, clock: Clock, retention: timedelta | None) -> None:
        self._trail = trail
        self._clock = clock
        self._retention = retention

    async def __call__(self) -> int:
        if self._retention is None:
            return 0
        return await self._trail.forget_before(self._clock.now() - self._retention, _PURGE_BATCH)
