from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One operator write: who did what to which jobs (or which filter), and when."""

    at: datetime
    actor: str
    action: str
    job_ids: tuple[UUID, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    """What else the action names: a bulk replay's filter and count, a key's name and scopes."""
    request_id: str | None = None
    id: int | None = None
    """Given by the store; orders the trail."""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    limit: int
    actor: str | None = None
    action: str | None = None
    job_id: UUID | None = None
    after: datetime | None = None
    before: datetime | None = None
    below_id: int | None = None
    """Keyset page: entries older than this id."""


class AuditTrail(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first."""
        ...

    async def forget_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to `limit` entries older than cutoff; how many went."""
        ...
