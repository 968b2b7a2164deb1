"""Enqueue inside the caller's transaction: taskforge_enqueue() from one connection, and
how soon a committed job's handler starts. `python -m bench.sql_enqueue` runs both alone."""

import asyncio
import random
import sys
import time
from uuid import UUID

import asyncpg

from bench.measures import Environment, Latency, _percentiles
from taskforge_adapters.postgres.migrations import migrate_up
from tests.conftest import MIGRATIONS_URL

_ENQUEUE = "SELECT taskforge_enqueue('ping', $1::text::jsonb)"


def _payload(chance: random.Random) -> str:
    return f'{{"n": {chance.randrange(1_000_000)}}}'


async def enqueue_rate(env: Environment, count: int) -> float:
    """Jobs/s one connection stores calling taskforge_enqueue() in autocommit, one call
    and one commit per job, no relay or worker running (as the peers' enqueue figures)."""
    chance = random.Random(env.seed + 6)
    async with env.stack() as stack:
        await migrate_up(stack.database_url, MIGRATIONS_URL)
        conn = await asyncpg.connect(stack.database_url)
        try:
            for _ in range(200):
                await conn.fetchval(_ENQUEUE, _payload(chance))
            payloads = [_payload(chance) for _ in range(count)]
            started = time.perf_counter()
            for payload in payloads:
                await conn.fetchval(_ENQUEUE, payload)
            elapsed = time.perf_counter() - started
        finally:
            await conn.close()
    return count / elapsed


async def commit_to_start(env: Environment, rate: float, seconds: float) -> Latency:
    """Commit of taskforge_enqueue() (its acknowledgement in autocommit) → handler start
    (the claim's started_at) and → completed, at a steady open-loop rate, one worker and
    one scheduler (whose relay publishes) running."""
    chance = random.Random(env.seed + 7)
    async with env.stack() as stack:
        await migrate_up(stack.database_url, MIGRATIONS_URL)
        stack.start("scheduler")
        stack.start("worker")
        conn = await asyncpg.connect(stack.database_url)
        try:
            for _ in range(100):
                await conn.fetchval(_ENQUEUE, _payload(chance))
            await stack.wait_finished(100, within=60)
            committed = await _enqueue_at_rate(conn, rate, seconds, chance)
        finally:
            await conn.close()
        await stack.wait_finished(100 + len(committed), within=120)
        rows = await stack.fetch(
            "SELECT id, extract(epoch FROM started_at) AS started,"
            " extract(epoch FROM updated_at) AS done"
            " FROM jobs WHERE status = 'completed' AND id = ANY($1::uuid[])",
            list(committed),
        )
    return Latency(
        rate,
        _percentiles([float(row["started"]) - committed[row["id"]] for row in rows]),
        _percentiles([float(row["done"]) - committed[row["id"]] for row in rows]),
    )


async def _enqueue_at_rate(
    conn: asyncpg.Connection, rate: float, seconds: float, chance: random.Random
) -> dict[UUID, float]:
    """Each job's id and when its commit was acknowledged (the epoch, as PostgreSQL's
    timestamps, on the same host's clock)."""
    committed: dict[UUID, float] = {}
    started = time.perf_counter()
    for index in range(int(rate * seconds)):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        job_id = await conn.fetchval(_ENQUEUE, _payload(chance))
        committed[job_id] = time.time()
    return committed


async def _main(rate: float, seconds: float, count: int) -> None:
    from bench.main import _parser

    args = _parser().parse_args([])
    env = Environment(
        args.postgres, args.redis, {"SERVICE_MAX_ATTEMPTS": "3"}, random.randrange(2**31)
    )
    latency = await commit_to_start(env, rate, seconds)
    print(
        f"(i) taskforge_enqueue commit → start, p50/p95/p99 ms, {rate:,.0f} jobs/s: "
        + " / ".join(f"{v:.1f}" for v in latency.start_ms)
        + " (→ completed: "
        + " / ".join(f"{v:.1f}" for v in latency.done_ms)
        + ")"
    )
    jobs_per_second = await enqueue_rate(env, count)
    print(f"(j) taskforge_enqueue, one connection, autocommit: {jobs_per_second:,.0f} jobs/s")


if __name__ == "__main__":
    arguments = [float(value) for value in sys.argv[1:]]
    rate, seconds, count = (*arguments, 200, 10, 20_000)[:3] if arguments else (200, 10, 20_000)
    asyncio.run(_main(rate, seconds, int(count)))
