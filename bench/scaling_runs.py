"""The runs of `python -m bench scaling`: submits through 1..n API processes and drains by
1..n worker processes, each with the CPU every process kind spent and what PostgreSQL
wrote, on a PostgreSQL and a Redis of the run's own (nothing else's CPU is counted)."""

import asyncio
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg

from bench.http_load import post_all
from bench.measures import BATCH, Environment
from bench.process_cpu import own_seconds, run_seconds, tree_seconds
from tests.e2e.processes import TaskforgeProcess, free_port, wait_until_ready
from tests.faults.private_services import PrivatePostgres, PrivateRedis

KINDS = ("workers", "API", "PostgreSQL", "Redis", "load generator")

# pg_stat_wal counts the whole cluster, which is the run's own.
_WRITES = """
SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS rows_written,
       (SELECT wal_bytes FROM pg_stat_wal)::bigint AS wal_bytes
FROM pg_stat_database WHERE datname = current_database()
"""
_JOB = '{"job_type":"ping","payload":{"n":%d}}'
_FINISHED = "SELECT count(*) FROM jobs WHERE status IN ('completed', 'dead', 'cancelled')"


class DurablePostgres(PrivatePostgres):
    """A cluster of the run's own with production's durability (fsync, synchronous
    commit), unlike the fault suite's; its postmaster's CPU tree is the run's alone."""

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._dir}"
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-o",
            options,
            "-w",
            "-l",
            str(self._dir / "server.log"),
            "start",
        )

    @property
    def postmaster_pid(self) -> int:
        return int((self._data / "postmaster.pid").read_text().split()[0])


class MeasuredNodes(Protocol):
    """The redis-server processes a run talks to, by the name its report gives each."""

    def node_pids(self) -> dict[str, int]: ...


class MeasuredRedis(PrivateRedis):
    def node_pids(self) -> dict[str, int]:
        assert self._process is not None, "Redis is not running"
        return {"Redis": self._process.pid}


@dataclass(frozen=True)
class Writes:
    commits: int
    rows: int
    wal_bytes: int

    def since(self, before: "Writes") -> "Writes":
        return Writes(
            self.commits - before.commits,
            self.rows - before.rows,
            self.wal_bytes - before.wal_bytes,
        )


@dataclass
class Run:
    label: str
    jobs: int
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    writes: Writes = Writes(0, 0, 0)

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds

    def cpu_us_per_job(self, kind: str) -> float:
        return self.cpu.get(kind, 0.0) / self.jobs * 1e6


class Meter:
    """CPU seconds per process kind between two readings, and of every Redis node on its
    own (under `node: <name>`), so a cluster's shards can be told apart."""

    def __init__(self, postgres: DurablePostgres, redis: MeasuredNodes) -> None:
        self._postgres = postgres
        self._nodes = redis.node_pids()
        self.workers: list[TaskforgeProcess] = []
        self.apis: list[TaskforgeProcess] = []

    def read(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        nodes = {f"node: {name}": run_seconds(pid) for name, pid in self._nodes.items()}
        return {
            "workers": sum(own_seconds(p.popen.pid) for p in self.workers),
            "API": sum(own_seconds(p.popen.pid) for p in self.apis),
            "PostgreSQL": tree_seconds(self._postgres.postmaster_pid),
            "Redis": sum(nodes.values()),
            "load generator": usage.ru_utime + usage.ru_stime,
            **nodes,
        }


def _since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {kind: after[kind] - before[kind] for kind in after}


async def _writes(conn: asyncpg.Connection) -> Writes:
    row = await conn.fetchrow(_WRITES)
    assert row is not None
    return Writes(int(row["xact_commit"]), int(row["rows_written"]), int(row["wal_bytes"]))


def _single_bodies(count: int, chance: random.Random) -> list[bytes]:
    return [(_JOB % chance.randrange(10**6)).encode() for _ in range(count)]


def _batch_bodies(count: int, chance: random.Random) -> list[bytes]:
    """`count` jobs, BATCH to a POST /v1/jobs/batch body, the last one shorter."""
    sizes = [min(BATCH, count - start) for start in range(0, count, BATCH)]
    jobs = (",".join(_JOB % chance.randrange(10**6) for _ in range(size)) for size in sizes)
    return [b'{"jobs":[' + body.encode() + b"]}" for body in jobs]


async def submit_run(
    env: Environment,
    stores: tuple[DurablePostgres, MeasuredNodes],
    jobs: int,
    apis: int,
    clients: int,
) -> Run:
    """One job per POST /v1/jobs from `clients` connections shared among `apis` processes."""
    chance = random.Random(env.seed + apis)
    meter = Meter(*stores)
    async with env.stack() as stack:
        ports = [stack.port] + [free_port() for _ in range(apis - 1)]
        for port in ports:
            api = stack.start("api", HTTP_ADDR=f"127.0.0.1:{port}")
            wait_until_ready(f"http://127.0.0.1:{port}", api)
            meter.apis.append(api)
        conn = await asyncpg.connect(stack.database_url)
        try:
            for port in ports:
                await post_all("127.0.0.1", port, "/v1/jobs", _single_bodies(100, chance), 8)
            written, before = await _writes(conn), meter.read()
            share = jobs // apis
            started = time.perf_counter()
            results = await asyncio.gather(
                *(
                    post_all(
                        "127.0.0.1",
                        port,
                        "/v1/jobs",
                        _single_bodies(share, chance),
                        clients // apis,
                    )
                    for port in ports
                )
            )
            elapsed = time.perf_counter() - started
            cpu = _since(before, meter.read())
            for api in meter.apis:
                api.stop(timeout=60)
            writes = (await _writes(conn)).since(written)
        finally:
            await conn.close()
    accepted = sum(result.count(202) for result in results)
    if accepted != share * apis:
        raise RuntimeError(f"submits failed: {[r.statuses for r in results]}")
    return Run(
        f"submit, {apis} API process(es)",
        accepted,
        elapsed,
        cpu,
        writes,
    )


async def drain_run(
    env: Environment, stores: tuple[DurablePostgres, MeasuredNodes], backlog: int, workers: int
) -> Run:
    """A standing backlog of no-op jobs drained by `workers` processes, timed (and its
    CPU read) from the first finished job to the last, so start-up is left out."""
    chance = random.Random(env.seed + 10 + workers)
    meter = Meter(*stores)
    async with env.stack() as stack:
        api = stack.start_api()
        bodies = _batch_bodies(backlog, chance)
        stored = await post_all("127.0.0.1", stack.port, "/v1/jobs/batch", bodies, 2)
        api.stop(timeout=60)
        if stored.count(200) != len(bodies):
            raise RuntimeError(f"the backlog was not stored: {stored.statuses}")
        conn = await asyncpg.connect(stack.database_url)
        try:
            written = await _writes(conn)
            meter.workers = [stack.start("worker") for _ in range(workers)]
            run = await _timed_drain(conn, meter, backlog)
            for worker in meter.workers:
                worker.stop(timeout=60)
            writes = (await _writes(conn)).since(written)
        finally:
            await conn.close()
    run.label = f"drain, {workers} worker process(es)"
    run.writes = writes
    return run


async def _timed_drain(conn: asyncpg.Connection, meter: Meter, backlog: int) -> Run:
    launched = (time.perf_counter(), 0, meter.read())
    first_at, first_done, before = 0.0, 0, launched[2]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        done = int(await conn.fetchval(_FINISHED))
        if done and not first_at:
            first_at, first_done, before = time.perf_counter(), done, meter.read()
        if done >= backlog:
            if first_done >= backlog:
                # A backlog small enough to drain between two readings is timed from the
                # workers' start instead, their start-up included.
                first_at, first_done, before = launched
            cpu = _since(before, meter.read())
            return Run("", backlog - first_done, time.perf_counter() - first_at, cpu)
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{backlog:,} jobs did not drain within 10 minutes")
