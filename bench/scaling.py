"""`python -m bench scaling`: the scaling curve against a standalone Redis, or with
`--redis cluster` against a local Redis Cluster (three masters, three replicas). Drains
of one backlog of no-op jobs by 1, 2 and 4 worker processes, and submits through 1 and 2
API processes, each with the CPU seconds that workers, APIs, PostgreSQL (the postmaster
and every backend) and Redis (every node, and each cluster shard on its own) spent on
it, and what PostgreSQL committed and wrote per job; then the model those figures give,
into BENCHMARKS.md."""

import argparse
import asyncio
import datetime
import random
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.machine import describe
from bench.measured_cluster import MeasuredCluster
from bench.measures import Environment
from bench.process_cpu import run_seconds
from bench.report_file import write_section
from bench.scaling_runs import KINDS, DurablePostgres, MeasuredRedis, Run, drain_run, submit_run

# Each Redis has its own block, so a run against one leaves the other's figures alone.
MARKERS = {
    "standalone": ("<!-- scaling:start -->", "<!-- scaling:end -->"),
    "cluster": ("<!-- scaling-cluster:start -->", "<!-- scaling-cluster:end -->"),
}
# What the model scales to: a large PostgreSQL primary and a Redis Cluster.
PRIMARY_CORES = 32
SHARDS = 6
# Long enough to take in many rounds of an idle node's cron (ten a second) and bus pings.
IDLE_WINDOW = 5.0


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
    parser.add_argument(
        "--redis",
        choices=sorted(MARKERS),
        default="standalone",
        help="one redis-server, or a local cluster of three masters and three replicas",
    )
    parser.add_argument(
        "--partitions", type=int, default=4, help="QUEUE_PARTITIONS with --redis cluster"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--output", default="BENCHMARKS.md", help="'-' to write no file")
    return parser


async def measure(
    args: argparse.Namespace,
) -> tuple[list[Run], list[Run], dict[str, str], MeasuredCluster | None]:
    postgres = DurablePostgres()
    redis: MeasuredRedis | MeasuredCluster
    try:
        redis = MeasuredCluster(args.partitions) if args.redis == "cluster" else MeasuredRedis()
    except BaseException:
        postgres.destroy()
        raise
    load_before = _load_average()
    try:
        settings = {
            "WORKER_CONCURRENCY": str(args.concurrency),
            "WORKER_BATCH_SIZE": str(args.batch_size),
            "SERVICE_MAX_ATTEMPTS": "3",
        }
        if isinstance(redis, MeasuredCluster):
            print(f"  Redis Cluster nodes: {redis.settings()['REDIS_ADDR']}", flush=True)
            redis_addr = redis.one_node
            settings.update(redis.settings())
        else:
            redis_addr = f"127.0.0.1:{redis.port}"
        env = Environment(postgres.admin_url, redis_addr, settings, args.seed)
        stores = (postgres, redis)
        submits, drains = [], []
        if isinstance(redis, MeasuredCluster):
            redis.idle = await _idle_node_cpu(redis)
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
    return submits, drains, machine, redis if isinstance(redis, MeasuredCluster) else None


async def _idle_node_cpu(cluster: MeasuredCluster) -> dict[str, float]:
    """What each node spends doing nothing (cron, cluster bus, replication pings), in
    CPU seconds per second: a run counts it per job, the slower the more."""
    pids = cluster.node_pids()
    before, started = {name: run_seconds(pid) for name, pid in pids.items()}, time.monotonic()
    await asyncio.sleep(IDLE_WINDOW)
    elapsed = time.monotonic() - started
    return {name: (run_seconds(pid) - before[name]) / elapsed for name, pid in pids.items()}


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


@dataclass(frozen=True)
class ShardModel:
    """CPU µs per job of each shard's master and replica, for a job's submit (one API)
    and its run (one worker), and what that makes of the cluster's capacity."""

    master_us: dict[str, float]
    replica_us: dict[str, float]
    partitions: int

    @classmethod
    def of(cls, cluster: MeasuredCluster, submit: Run, drain: Run) -> "ShardModel":
        master_us, replica_us = {}, {}
        for shard in cluster.shards():
            master, replica = cluster.node_names(shard)
            master_us[shard] = _busy(cluster, submit, master) + _busy(cluster, drain, master)
            replica_us[shard] = _busy(cluster, submit, replica) + _busy(cluster, drain, replica)
        return cls(master_us, replica_us, cluster.partitions)

    def lines(self, per_postgres_core: float) -> list[str]:
        total = sum(self.master_us.values())
        if not total:
            return ["- The masters used less CPU than /proc counts (one clock tick): too few jobs."]
        busiest = max(self.master_us, key=self.master_us.__getitem__)
        share = self.master_us[busiest] / total
        per_shard_core = 1e6 / total
        as_laid_out = 1e6 / self.master_us[busiest]
        spread = SHARDS * per_shard_core
        postgres = PRIMARY_CORES * per_postgres_core
        first = "PostgreSQL" if postgres <= spread else "Redis"
        each = ", ".join(
            f"{shard} {self.master_us[shard]:.1f} µs (replica {self.replica_us[shard]:.1f})"
            for shard in self.master_us
        )
        return [
            f"- Net of their idle CPU, the masters spend {total:.1f} µs per job together: "
            f"{each}. One shard's "
            f"core carries **{per_shard_core:,.0f} jobs/s** when the partitions spread "
            f"evenly; with QUEUE_PARTITIONS={self.partitions} on {len(self.master_us)} "
            f"masters the busiest ({busiest}) takes {share:.0%} of the work, so this "
            f"cluster saturates at {as_laid_out:,.0f} jobs/s, one core per master.",
            f"- Scaled linearly, a {PRIMARY_CORES}-core primary carries {postgres:,.0f} "
            f"jobs/s and a {SHARDS}-shard cluster with at least {SHARDS} partitions spread "
            f"one per shard {spread:,.0f}: {first} saturates first.",
        ]


def _busy(cluster: MeasuredCluster, run: Run, node: str) -> float:
    """A node's CPU µs per job net of what it spends idle, which does not grow with the
    jobs and would otherwise weigh most on the slowest runs."""
    idle_us = cluster.idle.get(node, 0.0) / run.rate * 1e6
    return max(0.0, run.cpu_us_per_job(f"node: {node}") - idle_us)


def _shard_table(cluster: MeasuredCluster, runs: list[Run]) -> list[str]:
    shards = cluster.shards()

    def cell(run: Run, shard: str) -> str:
        master, replica = cluster.node_names(shard)
        return (
            f"{run.cpu_us_per_job(f'node: {master}'):.1f} / "
            f"{run.cpu_us_per_job(f'node: {replica}'):.1f}"
        )

    masters = "; ".join(cluster.node_names(shard)[0] for shard in shards)
    return [
        f"Redis CPU µs per job as measured (idle included), master / replica of each shard "
        f"({masters}):",
        "",
        "| run | " + " | ".join(shards) + " |",
        "|---|" + "---|" * len(shards),
        *(f"| {run.label} | " + " | ".join(cell(run, s) for s in shards) + " |" for run in runs),
    ]


def render(
    submits: list[Run],
    drains: list[Run],
    machine: dict[str, str],
    command: str,
    seed: int,
    cluster: MeasuredCluster | None = None,
) -> str:
    kinds = " / ".join(KINDS)
    start, end = MARKERS["cluster" if cluster else "standalone"]
    model = Model.of(submits[0], drains[0])
    if cluster is None:
        redis = f"a Redis {machine['redis']} of the run's own"
        closing = model.lines()
    else:
        redis = (
            f"a local Redis Cluster {machine['redis']} of the run's own (three masters, "
            f"three replicas on loopback ports; REDIS_CLUSTER=true, "
            f"QUEUE_PARTITIONS={cluster.partitions}; the Redis columns add up all six nodes, "
            f"which spent {min(cluster.idle.values()) * 1e3:.1f} to "
            f"{max(cluster.idle.values()) * 1e3:.1f} ms of CPU per second each when idle, "
            f"read over {IDLE_WINDOW:g} s before the runs)"
        )
        closing = [
            *_shard_table(cluster, submits + drains),
            "",
            *model.lines()[:2],
            *ShardModel.of(cluster, submits[0], drains[0]).lines(model.per_postgres_core),
        ]
    return "\n".join(
        [
            start,
            f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC with "
            f"`{command}` (seed {seed}), on a PostgreSQL {machine['postgresql']} "
            f"(synchronous_commit = {machine['synchronous_commit']}, fsync on) and "
            f"{redis}.",
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
            *closing,
            end,
        ]
    )


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    print(f"bench scaling: seed {args.seed}, {args.redis} Redis", flush=True)
    submits, drains, machine, cluster = asyncio.run(measure(args))
    command = "make bench BENCH_ARGS=" + shlex.quote(shlex.join(["scaling", *argv]))
    section = render(submits, drains, machine, command, args.seed, cluster)
    print("\n" + section)
    if args.output != "-":
        write_section(Path(args.output), section, *MARKERS[args.redis])
        print(f"\nwritten to {args.output}")
    return 0
