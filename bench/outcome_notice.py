"""`python -m bench outcome-notice`: what the per-queue outcome notice costs the outcome
write. The statement that records 200 outcomes over three queues (every fifth one dead),
with the notice and without it, alternately, on one connection to a database of its
own; it prints the medians and drops the database."""

import argparse
import asyncio
import datetime
import os
import statistics
import time
import uuid
from collections.abc import Sequence

import asyncpg

from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_job_repository import (
    PgJobRepository,
    outcome_columns,
    record_outcomes_statement,
)
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_domain.job import Job
from tests.conftest import MIGRATIONS_URL
from tests.services import with_database

_KINDS = {
    "with the notice": record_outcomes_statement(),
    "without it": record_outcomes_statement(counted_per_queue=False),
}
_QUEUES = ("high", "normal", "low")
_LEASE = datetime.timedelta(seconds=90)


async def _one_write(repo: PgJobRepository, pool: asyncpg.Pool, statement: str, size: int) -> float:
    now = datetime.datetime.now(datetime.UTC)
    jobs = [
        Job.submit(
            job_id=uuid.uuid4(),
            job_type="ping",
            payload={},
            max_attempts=3,
            now=now,
            queue=_QUEUES[index % len(_QUEUES)],
        )
        for index in range(size)
    ]
    await repo.insert_many(jobs)
    running = await repo.claim([job.id for job in jobs], now, _LEASE, "bench")
    outcomes = [
        job.kill("bench", now) if index % 5 == 0 else job.complete(None, now)
        for index, job in enumerate(running)
    ]
    began = time.perf_counter()
    written = await pool.fetch(statement, *outcome_columns(outcomes), None)
    took = time.perf_counter() - began
    if len(written) != size:
        raise RuntimeError(f"the outcome write recorded {len(written)} of {size} outcomes")
    return took


async def outcome_notice_cost(admin_url: str, writes: int, size: int) -> dict[str, list[float]]:
    name = f"taskforge_bench_outcomes_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(admin_url, name)
        await migrate_up(url, MIGRATIONS_URL)
        pool = await create_pg_pool(url, max_size=1)
        try:
            repo = PgJobRepository(pool)
            times: dict[str, list[float]] = {kind: [] for kind in _KINDS}
            order = list(_KINDS.items())
            for number in range(writes):
                for kind, statement in order if number % 2 == 0 else reversed(order):
                    times[kind].append(await _one_write(repo, pool, statement, size))
            return times
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench outcome-notice", description=__doc__)
    parser.add_argument("--writes", type=int, default=300, help="writes of each kind")
    parser.add_argument("--size", type=int, default=200, help="outcomes per write")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TASKFORGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a role that may create and drop the run's database",
    )
    args = parser.parse_args(argv)
    times = asyncio.run(outcome_notice_cost(args.postgres, args.writes, args.size))
    medians = {kind: statistics.median(seconds) * 1000 for kind, seconds in times.items()}
    for kind, seconds in times.items():
        print(f"{kind}: median {medians[kind]:.2f} ms, fastest {min(seconds) * 1000:.2f} ms")
    extra_ms = medians["with the notice"] - medians["without it"]
    print(
        f"the notice: {extra_ms:+.2f} ms per write of {args.size} outcomes "
        f"({extra_ms * 1000 / args.size:+.1f} µs per outcome), {args.writes} writes of each kind"
    )
    return 0
