from datetime import datetime
from typing import Any

import asyncpg

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports.audit_trail import AuditEntry, AuditQuery, AuditTrail

_COLUMNS = "id, at, actor, action, job_ids, details, request_id"
_RECORD = """
INSERT INTO audit_events (at, actor, action, job_ids, details, request_id)
VALUES ($1, $2, $3, $4, $5::jsonb, $6)
"""
_FORGET = """
DELETE FROM audit_events WHERE id IN (
    SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2
)
"""


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        job_ids=tuple(row["job_ids"]),
        details=row["details"],
        request_id=row["request_id"],
        id=row["id"],
    )


class PgAuditTrail(AuditTrail):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._db = ConflictRetry(pool)

    async def record(self, entry: AuditEntry) -> None:
        await self._db.execute(
            _RECORD,
            entry.at,
            entry.actor,
            entry.action,
            list(entry.job_ids),
            entry.details,
            entry.request_id,
        )

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        conditions: list[str] = []
        args: list[Any] = []

        def where(condition: str, value: Any) -> None:
            args.append(value)
            conditions.append(condition.format(f"${len(args)}"))

        if query.actor is not None:
            where("actor = {}", query.actor)
        if query.action is not None:
            where("action = {}", query.action)
        if query.job_id is not None:
            where("job_ids @> ARRAY[{}]::uuid[]", query.job_id)
        if query.after is not None:
            where("at >= {}", query.after)
        if query.before is not None:
            where("at < {}", query.before)
        if query.below_id is not None:
            where("id < {}", query.below_id)
        sql = f"SELECT {_COLUMNS} FROM audit_events"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        args.append(query.limit)
        sql += f" ORDER BY id DESC LIMIT ${len(args)}"
        return [_entry(row) for row in await self._db.fetch(sql, *args)]

    async def forget_before(self, cutoff: datetime, limit: int) -> int:
        status = await self._db.execute(_FORGET, cutoff, limit)
        return int(status.split()[-1])
