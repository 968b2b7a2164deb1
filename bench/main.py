"""Measure Taskforge on this machine: the real stack, seven measurements, and their section
of BENCHMARKS.md rewritten."""

import argparse
import asyncio
import datetime
import os
import random
import shlex
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bench import (
    limit_drain,
    measures,
    million,
    outcome_notice,
    payload_index_cost,
    scaling,
    soak,
    sql_enqueue,
    waiters,
    webhook_trigger,
)
from bench.machine import describe
from bench.report_file import write_section
from bench.sequential_submit import sequential_submit

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description='Measure Taskforge here; `make bench BENCH_ARGS="..."` passes these options.',
        epilog="`python -m bench soak --help`: the soak run, minutes of the highest submit "
        "rate with workers draining, and the checks it must pass. "
        "`python -m bench webhook-trigger --help`: what the completion webhook trigger "
        "costs jobs without a callback_url. "
        "`python -m bench limits --help`: what a limit per job type costs a drain, paired. "
        "`python -m bench scaling --help`: drains by 1, 2, 4 workers and submits through "
        "1, 2 APIs, with the CPU each process kind spends, and the model they give "
        "(`--redis cluster`: the same against a local Redis Cluster, per shard). "
        "`python -m bench million --help`: each read page's p50/p99 with 1,000,000 jobs. "
        "`python -m bench payload-index --help`: what the payload index costs the writes. "
        "`python -m bench outcome-notice --help`: what the per-queue outcome notice costs "
        "the outcome write, paired.",
    )
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--single", type=int, default=10_000, help="jobs for (a)")
    parser.add_argument("--clients", type=int, default=64, help="HTTP connections for (a)")
    parser.add_argument("--batch", type=int, default=20_000, help="jobs for (b)")
    parser.add_argument(
        "--sequential", type=int, default=10_000, help="jobs for (g), one producer; 0 skips"
    )
    parser.add_argument("--drain", type=int, default=20_000, help="backlog for (c)")
    parser.add_argument("--workers", default="1,2", help="worker process counts for (c)")
    parser.add_argument("--light-rate", type=float, default=200, help="jobs/s for (d)")
    parser.add_argument("--latency-seconds", type=float, default=10, help="duration of (d)")
    parser.add_argument("--memory-backlog", type=int, default=100_000, help="backlog for (e)")
    parser.add_argument(
        "--listing-rows", type=int, default=1_000_000, help="jobs in the table for (f); 0 skips"
    )
    parser.add_argument(
        "--sql-enqueue",
        type=int,
        default=20_000,
        help="jobs for (j), one connection; 0 skips (i), (j)",
    )
    parser.add_argument("--concurrency", type=int, default=200, help="WORKER_CONCURRENCY")
    parser.add_argument("--batch-size", type=int, default=200, help="WORKER_BATCH_SIZE")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TASKFORGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="admin URL; each measurement creates and drops its own database",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TASKFORGE_BENCH_REDIS_ADDR", "127.0.0.1:6379")
    )
    parser.add_argument("--waiters", type=int, default=1000, help="long-polls for (h); 0 skips")
    parser.add_argument("--waiter-rate", type=float, default=200, help="completions/s for (h)")
    parser.add_argument(
        "--only",
        choices=sorted(ONLY_LINES),
        help="run only this line (its figures are printed)",
    )
    parser.add_argument("--output", default="BENCHMARKS.md", help="'-' to write no file")
    return parser


async def run(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    env = measures.Environment(
        args.postgres,
        args.redis,
        {
            "WORKER_CONCURRENCY": str(args.concurrency),
            "WORKER_BATCH_SIZE": str(args.batch_size),
            "SERVICE_MAX_ATTEMPTS": "3",
        },
        args.seed,
    )
    rows: list[tuple[str, str, str]] = []

    def add(name: str, value: str, target: str) -> None:
        rows.append((name, value, target))
        print(f"  {name}: {value}", flush=True)

    if args.only is not None:
        await ONLY_LINES[args.only](env, args, add)
        return rows

    single = await measures.single_submit(env, args.single, args.clients)
    add(
        f"(a) submit, one job per HTTP request, {args.clients} clients",
        f"{single:,.0f} jobs/s",
        "≥ 3,000",
    )
    batch = await measures.batch_submit(env, args.batch, 2)
    add("(b) submit through /v1/jobs/batch (1,000 per request)", f"{batch:,.0f} jobs/s", "≥ 20,000")
    drained: dict[int, float] = {}
    for workers in (int(w) for w in args.workers.split(",")):
        drained[workers] = await measures.drain(env, args.drain, workers)
        target = "≥ 11,000" if workers == 1 else "≥ 13,000"
        add(
            f"(c) drain {args.drain:,} no-op jobs, {workers} worker process(es)",
            f"{drained[workers]:,.0f} jobs/s",
            target,
        )
    half = single / 2
    for rate, label in ((args.light_rate, "light"), (half, "half of (a)")):
        result = await measures.latency(env, rate, args.latency_seconds)
        start = " / ".join(f"{v:.1f}" for v in result.start_ms)
        done = " / ".join(f"{v:.1f}" for v in result.done_ms)
        add(
            f"(d) submit → start, p50/p95/p99 ms, {rate:,.0f} jobs/s ({label})",
            start,
            "p99 ≤ 5" if label == "light" else "",
        )
        add(f"(d) submit → completed, p50/p95/p99 ms, {rate:,.0f} jobs/s ({label})", done, "")
    memory = await measures.worker_memory(env, args.memory_backlog)
    add(
        f"(e) worker RSS MiB before / peak / after {args.memory_backlog:,} jobs",
        f"{memory.before:.0f} / {memory.peak:.0f} / {memory.after:.0f}",
        "flat, < 150",
    )
    if args.listing_rows:
        p99 = await measures.listing(env, args.listing_rows, 200)
        add(
            f"(f) GET /v1/jobs p99 ms with {args.listing_rows:,} jobs: " + ", ".join(p99),
            " / ".join(f"{value:.1f}" for value in p99.values()),
            "each < 50",
        )
    if args.sequential:
        await _sequential_line(env, args, add)
    if args.waiters:
        await _waiters_line(env, args, add)
    if args.sql_enqueue:
        await _sql_enqueue_rows(env, args, add)
    return rows


async def _sequential_line(
    env: measures.Environment, args: argparse.Namespace, add: Callable[[str, str, str], None]
) -> None:
    client, raw = await sequential_submit(env.stack(), args.sequential, args.seed + 5)
    add(
        "(g) submit, one sequential producer: taskforge_client.Client.submit, its CPU per "
        f"job (raw httpx loop in the same run: {raw.jobs_per_second:,.0f} jobs/s, "
        f"{raw.cpu_us_per_job:.0f} µs)",
        f"{client.jobs_per_second:,.0f} jobs/s, {client.cpu_us_per_job:.0f} µs",
        "≥ 1,500",
    )


async def _waiters_line(
    env: measures.Environment, args: argparse.Namespace, add: Callable[[str, str, str], None]
) -> None:
    held = await waiters.waiters(env, args.waiters, args.waiter_rate)
    add(
        "(h) long-polls held by one API process (its PostgreSQL connections, open fds, RSS MiB)",
        f"{held.held:,} ({held.api_db_connections}, {held.api_fds}, {held.api_rss_mib:.0f})",
        f"{args.waiters:,}",
    )
    add(
        f"(h) completion → waiter, p50/p95/p99 ms, {args.waiter_rate:,.0f} completions/s",
        " / ".join(f"{v:.1f}" for v in held.latency_ms),
        "p99 ≤ 20",
    )


async def _sql_enqueue_rows(
    env: measures.Environment, args: argparse.Namespace, add: Callable[[str, str, str], None]
) -> None:
    result = await sql_enqueue.commit_to_start(env, args.light_rate, args.latency_seconds)
    add(
        f"(i) taskforge_enqueue commit → start, p50/p95/p99 ms, {args.light_rate:,.0f} jobs/s",
        " / ".join(f"{v:.1f}" for v in result.start_ms),
        "p99 ≤ 10",
    )
    rate = await sql_enqueue.enqueue_rate(env, args.sql_enqueue)
    add(
        "(j) taskforge_enqueue, one connection in autocommit",
        f"{rate:,.0f} jobs/s",
        "≥ pgqueuer's enqueue",
    )


Line = Callable[
    [measures.Environment, argparse.Namespace, Callable[[str, str, str], None]], Awaitable[None]
]
# The lines `--only` runs alone, to measure one figure again without the rest.
ONLY_LINES: dict[str, Line] = {
    "sequential": _sequential_line,
    "waiters": _waiters_line,
    "sql-enqueue": _sql_enqueue_rows,
}


def render(
    rows: list[tuple[str, str, str]], machine: dict[str, str], command: str, seed: int
) -> str:
    lines = [
        START,
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC "
        f"with `{command}` (seed {seed}).",
        "",
        f"Machine: {machine['cores']} cores, {machine['cpu']}; Python {machine['python']}; "
        f"PostgreSQL {machine['postgresql']} "
        f"(synchronous_commit = {machine['synchronous_commit']}); Redis {machine['redis']}. "
        "The load generator, API, workers, PostgreSQL and Redis share these cores.",
        "",
        "| measurement | result | target |",
        "|---|---|---|",
        *(f"| {name} | {value} | {target} |" for name, value, target in rows),
        END,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["soak"]:
        return soak.main(argv[1:])
    if argv[:1] == ["webhook-trigger"]:
        return webhook_trigger.main(argv[1:])
    if argv[:1] == ["limits"]:
        return limit_drain.main(argv[1:])
    if argv[:1] == ["scaling"]:
        return scaling.main(argv[1:])
    if argv[:1] == ["million"]:
        return million.main(argv[1:])
    if argv[:1] == ["payload-index"]:
        return payload_index_cost.main(argv[1:])
    if argv[:1] == ["outcome-notice"]:
        return outcome_notice.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    # The report names the command that repeats the run.
    command = f'make bench BENCH_ARGS="{shlex.join(argv)}"' if argv else "make bench"
    print(f"bench: seed {args.seed}", flush=True)
    rows = asyncio.run(run(args))
    machine = asyncio.run(describe(args.postgres, args.redis))
    section = render(rows, machine, command, args.seed)
    print("\n" + section)
    if args.output != "-":
        write_section(Path(args.output), section, START, END)
        print(f"\nwritten to {args.output}")
    return 0
