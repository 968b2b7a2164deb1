"""`python -m bench webhook-trigger`: what the completion webhook trigger costs the jobs
that have no callback_url. The same status changes run in one database with the trigger
enabled and disabled, alternately, so load from elsewhere on the machine falls on both."""

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence

import asyncpg

from taskforge_adapters.postgres.migrations import migrate_up
from tests.conftest import MIGRATIONS_URL
from tests.services import with_database

_TOGGLE = "ALTER TABLE jobs {} TRIGGER webhook_delivery_add"
# A job's life in status changes, each over every row in one statement.
_LIFE = (
    "UPDATE jobs SET status = 'running', attempt = attempt + 1",
    "UPDATE jobs SET status = 'completed'",
    "UPDATE jobs SET status = 'queued'",
)


async def _one_life(conn: asyncpg.Connection, enabled: bool) -> float:
    await conn.execute(_TOGGLE.format("ENABLE" if enabled else "DISABLE"))
    began = time.perf_counter()
    async with conn.transaction():
        for statement in _LIFE:
            await conn.execute(statement)
    elapsed = time.perf_counter() - began
    await conn.execute("VACUUM jobs")
    return elapsed


async def measure(admin_url: str, rows: int, rounds: int) -> dict[bool, list[float]]:
    name = f"taskforge_bench_trigger_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(admin_url, name)
        await migrate_up(url, MIGRATIONS_URL)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                """INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts)
                   SELECT gen_random_uuid(), 'noop', '{}', 'queued', 0, 5
                   FROM generate_series(1, $1)""",
                rows,
            )
            await conn.execute("VACUUM ANALYZE jobs")
            times: dict[bool, list[float]] = {True: [], False: []}
            for round_number in range(2 * rounds):
                enabled = round_number % 2 == 0
                times[enabled].append(await _one_life(conn, enabled))
            if await conn.fetchval("SELECT count(*) FROM webhook_deliveries"):
                raise RuntimeError("a job without a callback_url got a webhook delivery")
            return times
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench webhook-trigger", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="jobs changed per statement")
    parser.add_argument("--rounds", type=int, default=20, help="runs with and without")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TASKFORGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    times = asyncio.run(measure(args.postgres, args.rows, args.rounds))
    changes = args.rows * len(_LIFE)
    for enabled, label in ((True, "with the trigger"), (False, "without it")):
        runs = times[enabled]
        print(
            f"{changes:,} status changes {label}: fastest {min(runs) * 1000:.0f} ms, "
            f"median {statistics.median(runs) * 1000:.0f} ms ({len(runs)} runs)"
        )
    extra = (min(times[True]) - min(times[False])) / changes * 1e6
    print(f"the trigger's cost per status change, fastest against fastest: {extra:.2f} µs")
    return 0
