"""`python -m bench limits`: what a limit per job type costs a drain. Drains of one backlog
of no-op `ping` jobs run in rounds, each kind once per round in turn, so load from
elsewhere on the machine falls on all of them:

- unlimited: no limit anywhere (the claim's anti-joins meet empty tables);
- other type limited: a limit on a type the backlog does not hold;
- limited, never full: a `ping` limit above every slot, so each claim takes the limited
  path (lock the limit row, count running attempts, claim) yet none is held back;
- limited to N: a `ping` concurrency limit below the workers' slots, jobs held back and
  released as attempts end;
- queue limited to N: the same limit on the queue the backlog is in;
- unlimited, N slots: no limit, the worker's WORKER_CONCURRENCY at N: what N slots can
  drain at best, the ceiling of the two kinds above."""

import argparse
import asyncio
import dataclasses
import datetime
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from bench import measures
from bench.bench_stack import BenchStack
from taskforge_adapters.postgres.limit_rows import UNLIMITED_ONLY
from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_job_repository import CLAIM_TEMPLATE
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from tests.conftest import MIGRATIONS_URL
from tests.services import with_database

# The claim as workers run it: anti-joins on job_type_limits and queue_limits.
_WITH_ANTI_JOIN = CLAIM_TEMPLATE.format(types=UNLIMITED_ONLY)
_WITHOUT = CLAIM_TEMPLATE.format(types="")
_LEASE = datetime.timedelta(seconds=30)

_LIMIT = """INSERT INTO job_type_limits (job_type, concurrency, updated_at, updated_by)
            VALUES ($1, $2, now(), 'bench')"""
_QUEUE_LIMIT = """INSERT INTO queue_limits (queue, concurrency, updated_at, updated_by)
                  VALUES ($1, $2, now(), 'bench')"""

Prepare = Callable[[BenchStack], Awaitable[object]]


def _limit(statement: str | None, name: str = "", concurrency: int = 0) -> Prepare:
    async def prepare(stack: BenchStack) -> object:
        # Every kind runs a scheduler, which queues the held-back jobs again when due.
        stack.start("scheduler")
        return [] if statement is None else await stack.fetch(statement, name, concurrency)

    return prepare


def _kinds(held_to: int) -> dict[str, tuple[Prepare, dict[str, str]]]:
    kinds: dict[str, tuple[Prepare, dict[str, str]]] = {
        "unlimited": (_limit(None), {}),
        "other type limited": (_limit(_LIMIT, "not_in_the_backlog", 1), {}),
        "limited, never full": (_limit(_LIMIT, "ping", 100_000), {}),
    }
    if held_to:
        kinds[f"limited to {held_to}"] = (_limit(_LIMIT, "ping", held_to), {})
        kinds[f"queue limited to {held_to}"] = (_limit(_QUEUE_LIMIT, "normal", held_to), {})
        slots = {"WORKER_CONCURRENCY": str(held_to)}
        kinds[f"unlimited, {held_to} slots"] = (_limit(None), slots)
    return kinds


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    env = measures.Environment(
        args.postgres,
        args.redis,
        {
            "WORKER_CONCURRENCY": str(args.concurrency),
            "WORKER_BATCH_SIZE": str(args.batch_size),
            "SERVICE_MAX_ATTEMPTS": "3",
            "RETRY_SCHEDULER_INTERVAL": args.promote_interval,
        },
        args.seed,
    )
    kinds = _kinds(args.held_to)
    rates: dict[str, list[float]] = {kind: [] for kind in kinds}
    for round_number in range(args.rounds):
        for kind, (before, settings) in kinds.items():
            kind_env = dataclasses.replace(env, settings=env.settings | settings)
            rate = await measures.drain(kind_env, args.backlog, args.workers, before)
            rates[kind].append(rate)
            print(f"  round {round_number + 1} {kind}: {rate:,.0f} jobs/s", flush=True)
    return rates


async def _claim_all(pool: asyncpg.Pool, statement: str, ids: list[uuid.UUID], batch: int) -> float:
    await pool.execute("UPDATE jobs SET status = 'queued', attempt = 0")
    await pool.execute("VACUUM jobs")
    now = datetime.datetime.now(datetime.UTC)
    began = time.perf_counter()
    for start in range(0, len(ids), batch):
        await pool.fetch(statement, ids[start : start + batch], now, _LEASE, "bench")
    return time.perf_counter() - began


async def claim_statement_cost(
    admin_url: str, rows: int, batch: int, rounds: int
) -> dict[str, list[float]]:
    """The claim statement alone, with and without the anti-joins that skip limited types
    and queues (empty limit tables, as on a service that limits nothing), alternately."""
    name = f"taskforge_bench_limits_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(admin_url, name)
        await migrate_up(url, MIGRATIONS_URL)
        pool = await create_pg_pool(url, max_size=1)
        try:
            ids = [uuid.uuid4() for _ in range(rows)]
            await pool.execute(
                """INSERT INTO jobs (id, job_type, payload, status, attempt, max_attempts)
                   SELECT id, 'ping', '{}', 'queued', 0, 5 FROM unnest($1::uuid[]) AS id""",
                ids,
            )
            await pool.execute("VACUUM ANALYZE jobs")
            times: dict[str, list[float]] = {"with the anti-join": [], "without it": []}
            for round_number in range(2 * rounds):
                with_it = round_number % 2 == 0
                statement = _WITH_ANTI_JOIN if with_it else _WITHOUT
                kind = "with the anti-join" if with_it else "without it"
                times[kind].append(await _claim_all(pool, statement, ids, batch))
            return times
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench limits", description=__doc__)
    parser.add_argument("--backlog", type=int, default=20_000, help="no-op jobs per drain")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="drains of each kind")
    parser.add_argument(
        "--held-to", type=int, default=50, help="the concurrency that holds back; 0 skips"
    )
    parser.add_argument("--concurrency", type=int, default=200, help="WORKER_CONCURRENCY")
    parser.add_argument("--batch-size", type=int, default=200, help="WORKER_BATCH_SIZE")
    parser.add_argument(
        "--promote-interval", default="1s", help="RETRY_SCHEDULER_INTERVAL of the workers"
    )
    parser.add_argument(
        "--claim-rows", type=int, default=20_000, help="jobs the claim statement alone claims"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TASKFORGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TASKFORGE_BENCH_REDIS_ADDR", "127.0.0.1:6379")
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    print(f"bench limits: seed {args.seed}", flush=True)
    claims = asyncio.run(
        claim_statement_cost(args.postgres, args.claim_rows, args.batch_size, 2 * args.rounds)
    )
    for kind, runs in claims.items():
        print(
            f"  claim statement {kind}: fastest {min(runs) * 1000:.0f} ms, "
            f"median {statistics.median(runs) * 1000:.0f} ms for {args.claim_rows:,} jobs",
            flush=True,
        )
    extra = (min(claims["with the anti-join"]) - min(claims["without it"])) / args.claim_rows
    print(f"  the anti-join's cost per claimed job, fastest against fastest: {extra * 1e6:.2f} µs")
    rates = asyncio.run(measure(args))
    base = statistics.median(rates["unlimited"])
    fastest = max(rates["unlimited"])
    print(
        f"\n| drain of {args.backlog:,} no-op jobs, {args.workers} worker(s) "
        "| median | fastest | runs |"
    )
    print("|---|---|---|---|")
    for kind, runs in rates.items():
        median, best = statistics.median(runs), max(runs)
        each = ", ".join(f"{rate:,.0f}" for rate in runs)
        print(
            f"| {kind} | {median:,.0f} jobs/s ({median / base - 1:+.1%}) "
            f"| {best:,.0f} jobs/s ({best / fastest - 1:+.1%}) | {each} |"
        )
    return 0
