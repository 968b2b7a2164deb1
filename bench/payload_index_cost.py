"""`python -m bench payload-index`: what the payload's GIN index (migration 018) costs
the writes, paired. Each round submits one backlog of jobs with payloads shaped like
tests/realistic_jobs.py's (a customer, a tenant, an order and its lines: about ten
indexed paths) through POST /v1/jobs/batch, then drains it with one worker, once with
the index and once without it (dropped before the submit), in turn, so load from
elsewhere on the machine falls on both. Every change of a job's status rewrites its
row with a new entry in each index, so the drain pays the index three times a job.

First, the statements alone on one connection, which the rest of the machine disturbs
less: the seed's INSERT of `--statement-rows` jobs, then two UPDATEs of their status (a
claim and a finish rewrite each row), with and without the index, alternately."""

import argparse
import asyncio
import datetime
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Sequence

import asyncpg

from bench import measures
from bench.http_load import post_all
from taskforge_adapters.postgres.migrations import migrate_up
from tests.conftest import MIGRATIONS_URL
from tests.realistic_jobs import REALISTIC_JOBS
from tests.services import with_database

BATCH = 1000


def _payload(chance: random.Random) -> dict[str, object]:
    n = chance.randrange(1_000_000)
    return {
        "customer": {"id": n % 20_000, "tier": chance.choice(["free", "pro", "enterprise"])},
        "tenant": f"tenant-{n % 20}",
        "region": chance.choice(["eu-west", "us-east", "ap-south"]),
        "order": {
            "id": f"ord-{n}",
            "total": round(chance.uniform(1, 500), 2),
            "lines": [{"sku": f"sku-{n % 500}", "qty": chance.randint(1, 5)}],
        },
        "tags": ["vip"] if n % 10 == 0 else [],
    }


def _bodies(count: int, chance: random.Random) -> list[bytes]:
    return [
        json.dumps(
            {"jobs": [{"job_type": "ping", "payload": _payload(chance)} for _ in range(BATCH)]}
        ).encode()
        for _ in range(count // BATCH)
    ]


async def one_round(
    env: measures.Environment, backlog: int, with_index: bool, chance: random.Random
) -> tuple[float, float]:
    """(submit jobs/s, drain jobs/s) of one backlog."""
    async with env.stack() as stack:
        api = stack.start_api()
        if not with_index:
            await stack.fetch("DROP INDEX jobs_payload_idx")
        bodies = _bodies(backlog, chance)
        result = await post_all("127.0.0.1", stack.port, "/v1/jobs/batch", bodies, 2)
        if result.count(200) != len(bodies):
            raise RuntimeError(f"batch submits failed: {result.statuses}")
        api.stop(timeout=60)
        return backlog / result.elapsed, await measures.time_drain(stack, backlog, 1)


_INSERT_BATCH = 1_000


async def _writes(url: str, rows: int) -> float:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("TRUNCATE jobs CASCADE")
        await conn.execute("CHECKPOINT")
        began = time.perf_counter()
        now = datetime.datetime.now(datetime.UTC)
        for first in range(0, rows, _INSERT_BATCH):
            # One batch a statement, as POST /v1/jobs/batch writes them.
            await conn.execute(
                REALISTIC_JOBS.replace(
                    "generate_series(1, $1)", f"generate_series({first + 1}, $1)"
                ),
                first + _INSERT_BATCH,
                now,
            )
        for status in ("running", "completed"):
            for _ in range(0, rows, _INSERT_BATCH):
                await conn.execute(
                    "UPDATE jobs SET status = $1, updated_at = now() WHERE id IN "
                    "(SELECT id FROM jobs WHERE status <> $1 LIMIT $2)",
                    status,
                    _INSERT_BATCH,
                )
        return time.perf_counter() - began
    finally:
        await conn.close()


async def statement_cost(admin_url: str, rows: int, rounds: int) -> dict[str, list[float]]:
    """Seconds to insert `rows` jobs by batches and rewrite each twice, per kind."""
    name = f"taskforge_bench_payload_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(admin_url, name)
        await migrate_up(url, MIGRATIONS_URL)
        conn = await asyncpg.connect(url)
        [index] = await conn.fetch(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'jobs_payload_idx'"
        )
        await conn.close()
        times: dict[str, list[float]] = {"with the index": [], "without it": []}
        for round_number in range(2 * rounds):
            kind = "with the index" if round_number % 2 == 0 else "without it"
            conn = await asyncpg.connect(url)
            if kind == "with the index":
                await conn.execute(index["indexdef"].replace("INDEX", "INDEX IF NOT EXISTS", 1))
            else:
                await conn.execute("DROP INDEX IF EXISTS jobs_payload_idx")
            await conn.close()
            times[kind].append(await _writes(url, rows))
        return times
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def measure(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    env = measures.Environment(
        args.postgres,
        args.redis,
        {"WORKER_CONCURRENCY": "200", "WORKER_BATCH_SIZE": "200", "SERVICE_MAX_ATTEMPTS": "3"},
        args.seed,
    )
    chance = random.Random(args.seed)
    rates: dict[str, dict[str, list[float]]] = {
        kind: {"submit": [], "drain": []} for kind in ("with the index", "without it")
    }
    for round_number in range(args.rounds):
        for kind in rates:
            submit, drain = await one_round(env, args.backlog, kind == "with the index", chance)
            rates[kind]["submit"].append(submit)
            rates[kind]["drain"].append(drain)
            print(
                f"  round {round_number + 1} {kind}: submit {submit:,.0f} jobs/s, "
                f"drain {drain:,.0f} jobs/s",
                flush=True,
            )
    return rates


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench payload-index", description=__doc__)
    parser.add_argument("--backlog", type=int, default=20_000, help="jobs per round, by 1,000")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each kind")
    parser.add_argument(
        "--statement-rows", type=int, default=20_000, help="jobs the statements alone write"
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
    print(f"bench payload-index: seed {args.seed}", flush=True)
    times = asyncio.run(statement_cost(args.postgres, args.statement_rows, args.rounds))
    for kind, runs in times.items():
        each = ", ".join(f"{run * 1000:,.0f}" for run in runs)
        print(
            f"  statements {kind}: median {statistics.median(runs) * 1000:,.0f} ms for "
            f"{args.statement_rows:,} jobs written three times (runs: {each} ms)",
            flush=True,
        )
    extra = statistics.median(times["with the index"]) - statistics.median(times["without it"])
    print(f"  the index's cost per job, medians: {extra / args.statement_rows * 1e6:.1f} µs")
    rates = asyncio.run(measure(args))
    print(f"\n| {args.backlog:,} jobs, {args.rounds} rounds | submit, median | drain, median |")
    print("|---|---|---|")
    base = {phase: statistics.median(rates["without it"][phase]) for phase in ("submit", "drain")}
    for kind, phases in rates.items():
        cells = []
        for phase in ("submit", "drain"):
            median = statistics.median(phases[phase])
            each = ", ".join(f"{rate:,.0f}" for rate in phases[phase])
            cells.append(f"{median:,.0f} jobs/s ({median / base[phase] - 1:+.1%}; {each})")
        print(f"| {kind} | {cells[0]} | {cells[1]} |")
    return 0
