"""`python -m bench scaling`: the scaling curve against a standalone Redis. Drains of one
backlog of no-op jobs by 1, 2 and 4 worker processes, and submits through 1 and 2 API
processes, each with the CPU seconds that workers, APIs, PostgreSQL (the postmaster
and every backend) and Redis spent on it, and what PostgreSQL committed and wrote per
job; then the model those figures give, into BENCHMARKS.md."""

import argparse
import asyncio
import datetime
import random
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.machine import describe
from bench.measures import Environment
from bench.report_file import write_section
from bench.scaling_runs import KINDS, DurablePostgres, MeasuredRedis, Run, drain_run, submit_run

START, END = "<!-- scaling:start -->", "<!-- scaling:end -->"
# What the model scales to: a large PostgreSQL primary and a Redis Cluster.
PRIMARY_CORES = 32
SHARDS = 6


def _counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench scaling", description=__doc__)
    parser.add_argument("--backlog", type=int, default=10_000, help="no-op jobs per drain")
    parser.add_argument("--workers", type=_counts, default=[1, 2, 4], help="worker counts")
    parser.add_argument("--submits", type=int, default=6_000, help="jobs per submit run")
    parser.add_argument("--apis", type=_counts, default=[1, 2], help="API process counts")
    parser.add_argument("--clients", type=int, default=64, help="HTTP connections, all APIs")
    parser.add_argument("--concurrency", type=int, default=200, help="WORKER_CONCURRENCY")
    parser.add_argument("--batch-size", type=int, default=200, help="WORKER_BATCH_SIZE")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--output", default="BENCHMARKS.md", help="'-' to write no file")
    return parser


async def measure(args: argparse.Namespace) -> tuple[list[Run], list[Run], dict[str, str]]:
    postgres, redis = DurablePostgres(), MeasuredRedis()
    load_before = _load_average()
    try:
        env = Environment(
            postgres.admin_url,
            f"127.0.0.1:{redis.port}",
            {
                "WORKER_CONCURRENCY": str(args.concurrency),
                "WORKER_BATCH_SIZE": str(args.batch_size),
                "SERVICE_MAX_ATTEMPTS": "3",
            },
            args.seed,
        )
        stores = (postgres, redis)
        submits, drains = [], []
        for apis in args.apis:
            submits.append(await submit_run(env, stores, args.submits, apis, args.clients))
            _print(submits[-1])
        for workers in args.workers:
            drains.append(await drain_run(env, stores, args.backlog, workers))
            _print(drains[-1])
        machine = await describe(env.admin_url, env.redis_addr)
        machine["load"] = f"{load_before} before, {_load_average()} after"
    finally:
        redis.stop()
        postgres.destroy()
    return submits, drains, machine


def _load_average() -> str:
    """The 1-minute load average: how much else wanted these cores during the run."""
    return Path("/proc/loadavg").read_text().split()[0]


def _print(run: Run) -> None:
    cpu = ", ".join(f"{kind} {run.cpu_us_per_job(kind):.0f}" for kind in KINDS)
    print(f"  {run.label}: {run.rate:,.0f} jobs/s; CPU µs per job: {cpu}", flush=True)


def _row(run: Run) -> str:
    seconds = " / ".join(f"{run.cpu[kind]:.2f}" for kind in KINDS)
    per_job = " / ".join(f"{run.cpu_us_per_job(kind):.0f}" for kind in KINDS)
    return (
        f"| {run.label} | {run.jobs:,} | {run.rate:,.0f} | {seconds} | {per_job} "
        f"| {run.writes.commits / run.jobs:.2f} | {run.writes.rows / run.jobs:.1f} "
        f"| {run.writes.wal_bytes / run.jobs:,.0f} |"
    )


@dataclass(frozen=True)
class Model:
    """Jobs per second one core of each kind carries, a job being its submit and its run
    (the least contended run of each: one API, one worker)."""

    per_api_core: float
    per_worker_core: float
    per_postgres_core: float
    per_redis_core: float
    commits_per_job: float
    rows_per_job: float
    wal_bytes_per_job: float

    @classmethod
    def of(cls, submit: Run, drain: Run) -> "Model":
        def per_core(submit_us: float, drain_us: float) -> float:
            return 1e6 / (submit_us + drain_us) if submit_us + drain_us else float("inf")

        return cls(
            per_api_core=per_core(submit.cpu_us_per_job("API"), 0),
            per_worker_core=per_core(0, drain.cpu_us_per_job("workers")),
            per_postgres_core=per_core(
                submit.cpu_us_per_job("PostgreSQL"), drain.cpu_us_per_job("PostgreSQL")
            ),
            per_redis_core=per_core(submit.cpu_us_per_job("Redis"), drain.cpu_us_per_job("Redis")),
            commits_per_job=submit.writes.commits / submit.jobs + drain.writes.commits / drain.jobs,
            rows_per_job=submit.writes.rows / submit.jobs + drain.writes.rows / drain.jobs,
            wal_bytes_per_job=(
                submit.writes.wal_bytes / submit.jobs + drain.writes.wal_bytes / drain.jobs
            ),
        )

    def lines(self) -> list[str]:
        postgres = PRIMARY_CORES * self.per_postgres_core
        redis = SHARDS * self.per_redis_core
        carried = min(postgres, redis)
        first = "PostgreSQL" if postgres <= redis else "Redis"
        return [
            f"- One core carries, for a job's submit and its run together: API "
            f"{self.per_api_core:,.0f} jobs/s, worker {self.per_worker_core:,.0f}, "
            f"PostgreSQL {self.per_postgres_core:,.0f}, Redis {self.per_redis_core:,.0f}.",
            f"- PostgreSQL commits {self.commits_per_job:.2f} transactions, writes "
            f"{self.rows_per_job:.1f} rows (inserted, updated or deleted) and "
            f"{self.wal_bytes_per_job:,.0f} bytes of WAL per job.",
            f"- Scaled linearly, a {PRIMARY_CORES}-core primary carries "
            f"{postgres:,.0f} jobs/s and a {SHARDS}-shard Redis Cluster (one core per "
            f"shard) {redis:,.0f}: {first} saturates first, at {carried:,.0f} jobs/s, "
            f"with {carried / self.per_api_core:,.0f} API cores and "
            f"{carried / self.per_worker_core:,.0f} worker cores to feed it; the primary "
            f"then commits {carried * self.commits_per_job:,.0f} transactions/s and writes "
            f"{carried * self.wal_bytes_per_job / 2**20:,.0f} MiB/s of WAL.",
        ]


def render(
    submits: list[Run], drains: list[Run], machine: dict[str, str], command: str, seed: int
) -> str:
    kinds = " / ".join(KINDS)
    return "\n".join(
        [
            START,
            f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC with "
            f"`{command}` (seed {seed}), on a PostgreSQL {machine['postgresql']} "
            f"(synchronous_commit = {machine['synchronous_commit']}, fsync on) and a "
            f"Redis {machine['redis']} of the run's own.",
            "",
            f"Machine: **{machine['cores']} cores**, {machine['cpu']}; Python "
            f"{machine['python']}; 1-minute load average {machine['load']}. The load "
            "generator, APIs, workers, PostgreSQL and Redis all share these cores (and "
            "so does whatever else runs on the machine), so a curve flattens as soon as "
            "they are busy: the CPU per job is the figure to build on, not the rate.",
            "",
            f"| run | jobs | jobs/s | CPU s: {kinds} | CPU µs per job: {kinds} "
            "| commits per job | rows written per job | WAL bytes per job |",
            "|---|---|---|---|---|---|---|---|",
            *(_row(run) for run in submits + drains),
            "",
            *Model.of(submits[0], drains[0]).lines(),
            END,
        ]
    )


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    print(f"bench scaling: seed {args.seed}", flush=True)
    submits, drains, machine = asyncio.run(measure(args))
    command = "make bench BENCH_ARGS=" + shlex.quote(shlex.join(["scaling", *argv]))
    section = render(submits, drains, machine, command, args.seed)
    print("\n" + section)
    if args.output != "-":
        write_section(Path(args.output), section, START, END)
        print(f"\nwritten to {args.output}")
    return 0
