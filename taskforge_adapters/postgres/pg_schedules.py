"""Schedules in PostgreSQL, and the schedulers' claim on the due ones."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_app.ports.schedules import (
    ClaimedSchedules,
    DueSchedules,
    ScheduleStore,
    StoredSchedule,
)
from taskforge_domain.job_status import JobStatus
from taskforge_domain.schedule import (
    CatchUp,
    Overlap,
    Schedule,
    ScheduleNameTaken,
    ScheduleSpec,
)

_COLUMNS = """name, cron, every_seconds, timezone, job_type, payload, queue, max_attempts,
    catch_up, overlap, paused, next_tick, last_tick, last_job_id, created_at, updated_at"""
_S_COLUMNS = ", ".join(f"s.{column.strip()}" for column in _COLUMNS.split(","))
_WITH_LAST_JOB = f"""
SELECT {_S_COLUMNS}, j.status AS last_job_status
FROM schedules s LEFT JOIN jobs j ON j.id = s.last_job_id
"""
_ADD = f"""
INSERT INTO schedules ({_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
"""
_GET = f"{_WITH_LAST_JOB} WHERE s.name = $1"
_ALL = f"{_WITH_LAST_JOB} ORDER BY s.name"
_REPLACE = f"""
UPDATE schedules SET cron = $2, every_seconds = $3, timezone = $4, job_type = $5,
    payload = $6, queue = $7, max_attempts = $8, catch_up = $9, overlap = $10,
    next_tick = $11, updated_at = $12
WHERE name = $1 RETURNING {_COLUMNS}
"""
_REMOVE = f"DELETE FROM schedules WHERE name = $1 RETURNING {_COLUMNS}"
_SET_PAUSED = f"""
UPDATE schedules SET paused = $2, next_tick = $3, updated_at = $4
WHERE name = $1 RETURNING {_COLUMNS}
"""
_RECORD_TRIGGER = "UPDATE schedules SET last_job_id = $2, updated_at = $3 WHERE name = $1"
# SKIP LOCKED: each due schedule goes to one scheduler; the others pass it by instead of
# queueing behind it, and a scheduler that dies lets go of it with its connection.
_CLAIM = f"""
{_WITH_LAST_JOB}
WHERE NOT s.paused AND s.next_tick <= $1
ORDER BY s.next_tick LIMIT $2
FOR UPDATE OF s SKIP LOCKED
"""
_ADVANCE = """
UPDATE schedules
SET next_tick = $2,
    last_tick = COALESCE($3, last_tick),
    last_job_id = COALESCE($4, last_job_id)
WHERE name = $1
"""
_EARLIEST = "SELECT min(next_tick) FROM schedules WHERE NOT paused"
# A scheduler frozen (not dead) while it holds schedules lets go of them after this.
_HOLD_AT_MOST = "SET LOCAL idle_in_transaction_session_timeout = '10s'"


def _schedule(row: Any) -> Schedule:
    every = row["every_seconds"]
    spec = ScheduleSpec(
        job_type=row["job_type"],
        payload=dict(row["payload"]),
        queue=row["queue"],
        cron=row["cron"],
        every=None if every is None else timedelta(seconds=every),
        timezone=row["timezone"],
        max_attempts=row["max_attempts"],
        catch_up=CatchUp(row["catch_up"]),
        overlap=Overlap(row["overlap"]),
    )
    return Schedule(
        name=row["name"],
        spec=spec,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        next_tick=row["next_tick"],
        paused=row["paused"],
        last_tick=row["last_tick"],
        last_job_id=row["last_job_id"],
    )


def _stored(row: Any) -> StoredSchedule:
    status = row["last_job_status"]
    return StoredSchedule(_schedule(row), None if status is None else JobStatus(status))


def _spec_values(spec: ScheduleSpec) -> tuple[Any, ...]:
    every = None if spec.every is None else int(spec.every.total_seconds())
    return (
        spec.cron,
        every,
        spec.timezone,
        spec.job_type,
        spec.payload,
        spec.queue,
        spec.max_attempts,
        spec.catch_up.value,
        spec.overlap.value,
    )


class PgSchedules(ScheduleStore, DueSchedules):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._db = ConflictRetry(pool)

    async def add(self, schedule: Schedule) -> None:
        try:
            await self._db.execute(
                _ADD,
                schedule.name,
                *_spec_values(schedule.spec),
                schedule.paused,
                schedule.next_tick,
                schedule.last_tick,
                schedule.last_job_id,
                schedule.created_at,
                schedule.updated_at,
            )
        except asyncpg.UniqueViolationError:
            raise ScheduleNameTaken(schedule.name) from None

    async def get(self, name: str) -> StoredSchedule | None:
        row = await self._db.fetchrow(_GET, name)
        return None if row is None else _stored(row)

    async def all_schedules(self) -> list[StoredSchedule]:
        return [_stored(row) for row in await self._db.fetch(_ALL)]

    async def replace(
        self, name: str, spec: ScheduleSpec, next_tick: datetime | None, now: datetime
    ) -> Schedule | None:
        row = await self._db.fetchrow(_REPLACE, name, *_spec_values(spec), next_tick, now)
        return None if row is None else _schedule(row)

    async def remove(self, name: str) -> Schedule | None:
        row = await self._db.fetchrow(_REMOVE, name)
        return None if row is None else _schedule(row)

    async def set_paused(
        self, name: str, paused: bool, next_tick: datetime | None, now: datetime
    ) -> Schedule | None:
        row = await self._db.fetchrow(_SET_PAUSED, name, paused, next_tick, now)
        return None if row is None else _schedule(row)

    async def record_trigger(self, name: str, job_id: UUID, now: datetime) -> None:
        await self._db.execute(_RECORD_TRIGGER, name, job_id, now)

    async def earliest_tick(self) -> datetime | None:
        value: datetime | None = await self._db.fetchval(_EARLIEST)
        return value

    @asynccontextmanager
    async def claim(self, now: datetime, limit: int) -> AsyncIterator[ClaimedSchedules]:
        async with store_errors(), self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_HOLD_AT_MOST)
            rows = await conn.fetch(_CLAIM, now, limit)
            yield _Claimed(conn, [_stored(row) for row in rows])


class _Claimed(ClaimedSchedules):
    def __init__(self, conn: Any, due: list[StoredSchedule]) -> None:
        self._conn = conn
        self._due = due

    @property
    def due(self) -> Sequence[StoredSchedule]:
        return self._due

    async def advance(
        self, name: str, next_tick: datetime | None, last_tick: datetime | None, job_id: UUID | None
    ) -> None:
        async with store_errors():
            await self._conn.execute(_ADVANCE, name, next_tick, last_tick, job_id)
