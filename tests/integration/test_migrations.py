import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from taskforge_adapters.postgres.migrations import (
    DirtyDatabase,
    Migration,
    MigrationError,
    Migrator,
    advisory_lock_id,
    discover,
    migrate_up,
    migrations_dir,
    open_migrator,
)
from tests.conftest import MIGRATIONS_URL, Services
from tests.integration.polling import eventually

JOBS_AT_001 = {"jobs", "jobs_pkey", "jobs_idempotency_key_key", "jobs_status_idx"}
SCHEMA_AT_VERSION: dict[int | None, set[str]] = {
    None: set(),
    1: JOBS_AT_001,
    2: JOBS_AT_001 | {"jobs_status_run_at_idx"},
    3: JOBS_AT_001
    | {
        "jobs_status_run_at_idx",
        "jobs_running_lease_idx",
        "jobs_dead_not_lettered_idx",
        "jobs_waiting_idx",
    },
}
SCHEMA_AT_VERSION[4] = SCHEMA_AT_VERSION[3]
SCHEMA_AT_VERSION[5] = (
    SCHEMA_AT_VERSION[4]
    | {
        "job_attempts",
        "job_attempts_pkey",
        "jobs_created_idx",
        "jobs_status_created_idx",
        "jobs_type_created_idx",
        "jobs_dead_error_trgm_idx",
    }
) - {"jobs_status_idx"}
SCHEMA_AT_VERSION[6] = SCHEMA_AT_VERSION[5]
SCHEMA_AT_VERSION[7] = (
    SCHEMA_AT_VERSION[6]
    | {"job_listing_keys", "job_listing_keys_type_idx", "job_listing_keys_queue_idx"}
) - {"jobs_type_created_idx"}
SCHEMA_AT_VERSION[8] = SCHEMA_AT_VERSION[7] | {"jobs_dead_updated_idx"}
SCHEMA_AT_VERSION[9] = SCHEMA_AT_VERSION[8] | {"workers", "workers_pkey"}
SCHEMA_AT_VERSION[10] = SCHEMA_AT_VERSION[9] | {
    "job_enqueue_relay",
    "job_enqueue_relay_pkey",
    "taskforge_enqueue_settings",
    "taskforge_enqueue_settings_pkey",
}
# 011 adds columns only (revision, progress, progress_message).
SCHEMA_AT_VERSION[11] = SCHEMA_AT_VERSION[10]
SCHEMA_AT_VERSION[12] = SCHEMA_AT_VERSION[11] | {
    "webhook_deliveries",
    "webhook_deliveries_id_seq",
    "webhook_deliveries_pkey",
    "webhook_deliveries_due_idx",
    "webhook_deliveries_not_lettered_idx",
    "webhook_deliveries_job_idx",
    "webhook_attempts",
    "webhook_attempts_pkey",
}
SCHEMA_AT_VERSION[13] = SCHEMA_AT_VERSION[12] | {
    "api_keys",
    "api_keys_pkey",
    "api_keys_key_id_key",
    "audit_events",
    "audit_events_pkey",
    "audit_events_id_seq",
    "audit_events_at",
    "audit_events_actor",
    "audit_events_action",
    "audit_events_job_ids",
}
SCHEDULE_TABLES = {"schedules", "schedules_pkey", "schedules_due"}
SCHEMA_AT_VERSION[14] = SCHEMA_AT_VERSION[13] | SCHEDULE_TABLES
# 015 adds queue_pauses and the workers' queue_weights column.
SCHEMA_AT_VERSION[15] = SCHEMA_AT_VERSION[14] | {"queue_pauses", "queue_pauses_pkey"}
SCHEMA_AT_VERSION[16] = SCHEMA_AT_VERSION[15] | {
    "job_type_limits",
    "job_type_limits_pkey",
    "jobs_running_type_idx",
}
# 017 adds queue_limits, and the jobs' held_back column with the indexes releases use.
SCHEMA_AT_VERSION[17] = SCHEMA_AT_VERSION[16] | {
    "queue_limits",
    "queue_limits_pkey",
    "jobs_running_queue_idx",
    "jobs_held_back_type_idx",
    "jobs_held_back_queue_idx",
}
SCHEMA_AT_VERSION[18] = (SCHEMA_AT_VERSION[17] | {"jobs_payload_idx", "jobs_error_trgm_idx"}) - {
    "jobs_dead_error_trgm_idx"
}
SCHEMA_AT_VERSION[19] = SCHEMA_AT_VERSION[18] | {"outcome_counts", "outcome_counts_pkey"}


ALL_VERSIONS = [migration.version for migration in discover(migrations_dir(MIGRATIONS_URL))]
LATEST = ALL_VERSIONS[-1]


@pytest_asyncio.fixture
async def fresh_database_url(test_services: Services) -> str:
    return await test_services.create_database()


@pytest_asyncio.fixture
async def migrator(fresh_database_url: str) -> AsyncIterator[Migrator]:
    conn, found = await open_migrator(fresh_database_url, MIGRATIONS_URL)
    try:
        yield found
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def inspector(fresh_database_url: str) -> AsyncIterator[Any]:
    conn = await asyncpg.connect(fresh_database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def jobs_relations(conn: Any) -> set[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public'
             AND (c.relname LIKE 'job%' OR c.relname LIKE 'workers%'
                  OR c.relname LIKE 'webhook%' OR c.relname LIKE 'taskforge%'
                  OR c.relname LIKE 'api_keys%' OR c.relname LIKE 'audit_events%'
                  OR c.relname LIKE 'schedules%' OR c.relname LIKE 'queue_%'
                  OR c.relname LIKE 'outcome_%')"""
    )
    return {row["relname"] for row in rows}


async def version_rows(conn: Any) -> list[tuple[int, bool]]:
    rows = await conn.fetch("SELECT version, dirty FROM schema_migrations")
    return [(row["version"], row["dirty"]) for row in rows]


async def assert_at_version(conn: Any, version: int | None) -> None:
    assert await jobs_relations(conn) == SCHEMA_AT_VERSION[version]
    assert await version_rows(conn) == ([] if version is None else [(version, False)])


async def advisory_locks(conn: Any, lock_id: int, *, granted: bool) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM pg_locks
           WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1
             AND granted = $2
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
        lock_id,
        granted,
    )
    return count


def all_migrations() -> list[Migration]:
    return discover(migrations_dir(MIGRATIONS_URL))


def test_the_expected_schema_covers_every_migration_file():
    assert [m.version for m in all_migrations()] == [v for v in SCHEMA_AT_VERSION if v]


async def test_stairway_up_down_up_for_every_version(fresh_database_url, inspector):
    conn = await asyncpg.connect(fresh_database_url)
    try:
        migrations = all_migrations()
        previous: int | None = None
        for count, migration in enumerate(migrations, start=1):
            stairway = Migrator(conn, migrations[:count])

            assert await stairway.up() == [migration.version]
            await assert_at_version(inspector, migration.version)

            assert await stairway.down(1) == [migration.version]
            await assert_at_version(inspector, previous)

            assert await stairway.up() == [migration.version]
            await assert_at_version(inspector, migration.version)
            previous = migration.version
    finally:
        await conn.close()


async def test_down_without_a_step_count_rolls_back_every_migration_newest_first(
    migrator, inspector
):
    assert await migrator.up() == ALL_VERSIONS

    rolled_back = await migrator.down()

    assert rolled_back == ALL_VERSIONS[::-1]
    assert rolled_back[-2:] == [2, 1]
    await assert_at_version(inspector, None)
    assert await migrator.version() == (None, False)


async def test_up_on_an_up_to_date_database_applies_nothing(migrator, inspector):
    await migrator.up()

    assert await migrator.up() == []
    await assert_at_version(inspector, LATEST)


async def test_concurrent_migrate_up_applies_each_migration_once(fresh_database_url, inspector):
    lock_id = advisory_lock_id(await inspector.fetchval("SELECT current_database()"), "public")
    await inspector.execute("SELECT pg_advisory_lock($1)", lock_id)
    runners = [asyncio.create_task(migrate_up(fresh_database_url, MIGRATIONS_URL)) for _ in "abc"]
    try:
        await eventually(
            lambda: _waiting_for(inspector, lock_id, 3),
            what="three runners wait on the golang-migrate advisory lock",
        )
    finally:
        await inspector.execute("SELECT pg_advisory_unlock($1)", lock_id)

    applied = await asyncio.gather(*runners)

    assert sorted(applied) == [[], [], ALL_VERSIONS]
    await assert_at_version(inspector, LATEST)
    assert await advisory_locks(inspector, lock_id, granted=True) == 0


async def _waiting_for(conn: Any, lock_id: int, count: int) -> bool:
    return await advisory_locks(conn, lock_id, granted=False) == count


async def test_dirty_database_refuses_up_and_down_until_forced(migrator, inspector):
    await migrator.up()
    await inspector.execute("TRUNCATE schema_migrations")
    await inspector.execute("INSERT INTO schema_migrations (version, dirty) VALUES (2, true)")

    with pytest.raises(DirtyDatabase, match="version 2"):
        await migrator.up()
    with pytest.raises(DirtyDatabase):
        await migrator.down(1)
    lock_id = advisory_lock_id(await inspector.fetchval("SELECT current_database()"), "public")
    assert await advisory_locks(inspector, lock_id, granted=True) == 0

    await migrator.force(2)

    assert await version_rows(inspector) == [(2, False)]
    assert await migrator.up() == [version for version in ALL_VERSIONS if version > 2]


async def test_failed_migration_leaves_the_database_dirty_at_its_version(
    fresh_database_url, inspector
):
    broken = Migration(3, "broken", "CREATE TABLE half_done (x int); SELECT 1 / 0;", None)
    conn = await asyncpg.connect(fresh_database_url)
    try:
        migrator = Migrator(conn, [*all_migrations(), broken])

        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrator.up()

        assert await version_rows(inspector) == [(3, True)]
        assert await inspector.fetchval("SELECT to_regclass('public.half_done')") is None
        with pytest.raises(DirtyDatabase, match="version 3"):
            await migrator.up()
    finally:
        await conn.close()


def test_advisory_lock_id_matches_golang_migrate():
    assert advisory_lock_id("taskforge", "public") == 429832575
    assert advisory_lock_id("postgres", "public") == 143310882


@pytest.mark.parametrize(
    ("source_url", "directory"),
    [
        ("file://migrations", Path("migrations")),
        ("file:///app/migrations", Path("/app/migrations")),
    ],
)
def test_migrations_dir_reads_relative_and_absolute_file_urls(source_url, directory):
    assert migrations_dir(source_url) == directory


@pytest.mark.parametrize("source_url", ["s3://bucket/migrations", "migrations", "github://a/b"])
def test_migrations_dir_refuses_a_source_that_is_not_a_file_url(source_url):
    with pytest.raises(MigrationError, match="not a file:// URL"):
        migrations_dir(source_url)


async def test_listing_keys_cover_jobs_stored_before_007_and_follow_every_later_write(
    fresh_database_url, inspector
):
    conn = await asyncpg.connect(fresh_database_url)
    try:
        migrations = all_migrations()
        before_007 = Migrator(conn, [m for m in migrations if m.version < 7])
        await before_007.up()
        insert = """INSERT INTO jobs (id, job_type, status, max_attempts, queue)
                    SELECT gen_random_uuid(), $1, 'completed', 1, $2 FROM generate_series(1, $3)"""
        await conn.execute(insert, "old", "low", 3)
        await Migrator(conn, migrations).up()

        backfilled = await conn.fetch("SELECT job_type, queue FROM job_listing_keys")
        await conn.execute(insert, "new", "high", 2)
        after_insert = await conn.fetchval("SELECT count(*) FROM job_listing_keys")
        await conn.execute("DELETE FROM jobs WHERE job_type = 'old'")
        left = await conn.fetch("SELECT job_type, queue FROM job_listing_keys")
        await conn.execute("TRUNCATE jobs CASCADE")
        after_truncate = await conn.fetchval("SELECT count(*) FROM job_listing_keys")
    finally:
        await conn.close()

    assert [tuple(row) for row in backfilled] == [("old", "low")] * 3
    assert after_insert == 5
    assert [tuple(row) for row in left] == [("new", "high")] * 2
    assert after_truncate == 0
