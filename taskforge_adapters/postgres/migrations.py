"""Plain-SQL migrations, applied the way golang-migrate applies them.

Same `schema_migrations(version, dirty)` table with its single row, same advisory
lock id, same one-Exec-per-file execution: either tool can drive the database.
"""

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_adapters.postgres.pg_tls import PgSsl

_FILE = re.compile(r"^(\d+)_(.+)\.(up|down)\.sql$")
_TABLE = "schema_migrations"


class MigrationError(Exception):
    pass


class DirtyDatabase(MigrationError):
    def __init__(self, version: int) -> None:
        super().__init__(
            f"database is dirty at version {version}: a migration failed half-way; "
            f"fix it by hand, then `taskforge migrate force {version}`"
        )


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    up: str
    down: str | None


def migrations_dir(source_url: str) -> Path:
    """`file://migrations` (relative) or `file:///app/migrations` (absolute) to a Path."""
    if not source_url.startswith("file://"):
        raise MigrationError(f"migration source {source_url!r} is not a file:// URL")
    return Path(source_url.removeprefix("file://"))


def discover(directory: Path) -> list[Migration]:
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    found: dict[int, dict[str, Path]] = {}
    names: dict[int, str] = {}
    for path in directory.iterdir():
        match = _FILE.match(path.name)
        if match is None:
            continue
        version, name, direction = int(match[1]), match[2], match[3]
        if direction in found.setdefault(version, {}):
            raise MigrationError(f"two {direction} migrations for version {version}")
        found[version][direction] = path
        names[version] = name
    missing_up = [v for v, files in found.items() if "up" not in files]
    if missing_up:
        raise MigrationError(f"versions without an up migration: {missing_up}")
    return [
        Migration(v, names[v], found[v]["up"].read_text(), _read(found[v].get("down")))
        for v in sorted(found)
    ]


def _read(path: Path | None) -> str | None:
    return None if path is None else path.read_text()


def advisory_lock_id(database: str, schema: str, table: str = _TABLE) -> int:
    return (zlib.crc32("\x00".join([schema, table, database]).encode()) * 1486364155) & 0xFFFFFFFF


class Migrator:
    """Runs on one dedicated connection: the advisory lock belongs to its session."""

    def __init__(self, conn: Any, migrations: list[Migration]) -> None:
        self._conn = conn
        self._migrations = migrations

    async def version(self) -> tuple[int | None, bool]:
        await self._ensure_table()
        row = await self._conn.fetchrow(f"SELECT version, dirty FROM {_TABLE} LIMIT 1")
        return (None, False) if row is None else (row["version"], row["dirty"])

    async def up(self) -> list[int]:
        async with self._locked():
            current = await self._clean_version()
            applied = []
            for migration in self._migrations:
                if current is None or migration.version > current:
                    await self._apply(migration.version, migration.up, then=migration.version)
                    applied.append(migration.version)
            return applied

    async def down(self, steps: int | None = None) -> list[int]:
        """Roll back `steps` migrations (all when None), newest first."""
        async with self._locked():
            current = await self._clean_version()
            done: list[int] = []
            applied = [m for m in self._migrations if current is not None and m.version <= current]
            for index in range(len(applied) - 1, -1, -1):
                if steps is not None and len(done) >= steps:
                    break
                migration = applied[index]
                if migration.down is None:
                    raise MigrationError(f"version {migration.version} has no down migration")
                previous = applied[index - 1].version if index > 0 else None
                await self._apply(migration.version, migration.down, then=previous)
                done.append(migration.version)
            return done

    async def force(self, version: int) -> None:
        async with self._locked():
            await self._set_version(version, dirty=False)

    async def _apply(self, version: int, script: str, *, then: int | None) -> None:
        await self._set_version(version, dirty=True)
        await self._conn.execute(script)
        await self._set_version(then, dirty=False)

    async def _clean_version(self) -> int | None:
        version, dirty = await self.version()
        if dirty and version is not None:
            raise DirtyDatabase(version)
        return version

    async def _ensure_table(self) -> None:
        await self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} "
            "(version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
        )

    async def _set_version(self, version: int | None, *, dirty: bool) -> None:
        async with self._conn.transaction():
            await self._conn.execute(f"TRUNCATE {_TABLE}")
            if version is not None:
                await self._conn.execute(
                    f"INSERT INTO {_TABLE} (version, dirty) VALUES ($1, $2)", version, dirty
                )

    def _locked(self) -> "_AdvisoryLock":
        return _AdvisoryLock(self._conn)


class _AdvisoryLock:
    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._id = 0

    async def __aenter__(self) -> None:
        database, schema = await self._conn.fetchrow("SELECT current_database(), current_schema()")
        self._id = advisory_lock_id(database, schema)
        await self._conn.execute("SELECT pg_advisory_lock($1)", self._id)

    async def __aexit__(self, *_: object) -> None:
        await self._conn.execute("SELECT pg_advisory_unlock($1)", self._id)


async def open_migrator(dsn: str, source_url: str, *, ssl: PgSsl = None) -> tuple[Any, Migrator]:
    migrations = discover(migrations_dir(source_url))
    async with store_errors():
        conn = await asyncpg.connect(dsn, timeout=10, ssl=ssl)
    return conn, Migrator(conn, migrations)


async def migrate_up(dsn: str, source_url: str, *, ssl: PgSsl = None) -> list[int]:
    conn, migrator = await open_migrator(dsn, source_url, ssl=ssl)
    try:
        # A server that goes away mid-run is an outage to wait out like a refused connect;
        # a migration left half-way leaves the database dirty, which the next run reports.
        async with store_errors():
            applied = await migrator.up()
    except BaseException:
        # The connection may be broken; a polite close would wait on it, or fail again.
        conn.terminate()
        raise
    await conn.close()
    return applied
