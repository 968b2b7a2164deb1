"""Firing schedules against the real PostgreSQL and Redis: many schedulers at once, and
one that died half-way, still leave exactly one job per tick."""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from uuid import uuid4

import asyncpg
import pytest_asyncio
from redis.asyncio import Redis

from taskforge_adapters.cron.croniter_calendar import CroniterCalendar
from taskforge_adapters.postgres.pg_audit_trail import PgAuditTrail
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_schedules import PgSchedules
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_app.callers import ANONYMOUS
from taskforge_app.fire_schedules import FireSchedules, FiringOptions
from taskforge_app.manage_schedules import CreateSchedule, new_job
from taskforge_app.submit_jobs import SubmitDefaults, SubmitJobs, Submitted
from taskforge_domain.schedule import CatchUp, ScheduleSpec, tick_key
from tests.conftest import Services
from tests.unit.fakes import FixedClock

SCHEDULERS = 8
TICKS = 30


class Firing:
    def __init__(self, pool: asyncpg.Pool, channel: RedisStreamChannel, clock: FixedClock) -> None:
        self.clock = clock
        self.store = PgSchedules(pool)
        jobs = PgJobRepository(pool)
        self.submit = SubmitJobs(jobs, channel, clock, SubmitDefaults(max_attempts=3))
        self.create = CreateSchedule(self.store, CroniterCalendar(), PgAuditTrail(pool), clock)

    def scheduler(self) -> FireSchedules:
        options = FiringOptions(grace=timedelta(seconds=5))
        return FireSchedules(self.store, self.submit, CroniterCalendar(), self.clock, options)


@pytest_asyncio.fixture
async def firing(
    own_migrated_database_url: str, redis_client: Redis, test_services: Services
) -> AsyncIterator[Firing]:
    base = f"{test_services.key_prefix}:sched{uuid4().hex[:8]}"
    channel = RedisStreamChannel(
        redis_client,
        stream=f"{base}:queue:normal",
        group=f"{base}-workers",
        dlq_stream=f"{base}:dlq",
        dlq_group=f"{base}-dlq",
        queues=("high", "normal", "low"),
        served=["normal"],
    )
    pool = await create_pg_pool(own_migrated_database_url, max_size=SCHEDULERS * 2 + 2)
    try:
        yield Firing(
            pool, channel, FixedClock(datetime.fromisoformat("2026-12-01T12:00:00.5+00:00"))
        )
    finally:
        await pool.close()


async def jobs_by_key(pool_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(pool_url)
    try:
        rows = await conn.fetch(
            "SELECT idempotency_key, count(*) AS n FROM jobs GROUP BY idempotency_key"
        )
    finally:
        await conn.close()
    return {row["idempotency_key"]: row["n"] for row in rows}


async def test_schedulers_firing_at_once_create_one_job_per_tick(
    firing: Firing, own_migrated_database_url: str
) -> None:
    spec = ScheduleSpec(
        "ping", {"n": 1}, "normal", every=timedelta(seconds=1), catch_up=CatchUp.ALL
    )
    schedule = await firing.create(ANONYMOUS, "every-second", spec)
    assert schedule.next_tick is not None
    firing.clock.advance(timedelta(seconds=TICKS))

    created = await asyncio.gather(*(firing.scheduler()() for _ in range(SCHEDULERS)))

    expected = {
        tick_key("every-second", schedule.next_tick + timedelta(seconds=n)) for n in range(TICKS)
    }
    assert await jobs_by_key(own_migrated_database_url) == {key: 1 for key in expected}
    assert sum(created) == TICKS
    stored = await firing.store.get("every-second")
    assert stored is not None
    assert stored.schedule.next_tick == schedule.next_tick + timedelta(seconds=TICKS)
    assert stored.schedule.last_tick == schedule.next_tick + timedelta(seconds=TICKS - 1)


async def test_a_tick_whose_scheduler_died_before_moving_the_cursor_fires_no_second_job(
    firing: Firing, own_migrated_database_url: str
) -> None:
    spec = ScheduleSpec("ping", {}, "normal", every=timedelta(seconds=1))
    schedule = await firing.create(ANONYMOUS, "half-fired", spec)
    assert schedule.next_tick is not None
    # What a scheduler killed between its submit and its cursor move leaves behind.
    [first] = await firing.submit([new_job(schedule, tick_key("half-fired", schedule.next_tick))])
    assert isinstance(first, Submitted)
    firing.clock.advance(timedelta(seconds=1))

    created = await firing.scheduler()()

    keys = await jobs_by_key(own_migrated_database_url)
    assert keys == {tick_key("half-fired", schedule.next_tick): 1}
    assert created == 0
    stored = await firing.store.get("half-fired")
    assert stored is not None
    assert stored.schedule.last_job_id == first.job.id
    assert stored.schedule.next_tick == schedule.next_tick + timedelta(seconds=1)
