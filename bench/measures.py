"""The measurements of `make bench`; each starts its own stack and returns figures."""

import asyncio
import datetime
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench.bench_stack import BenchStack
from bench.http_load import get_latencies, post_all, post_at_rate
from tests.synthetic_jobs import SYNTHETIC_JOBS

BATCH = 1000


@dataclass(frozen=True)
class Environment:
    admin_url: str
    redis_addr: str
    settings: dict[str, str]
    seed: int

    def stack(self) -> BenchStack:
        return BenchStack(self.admin_url, self.redis_addr, self.settings)


def _job(chance: random.Random) -> dict[str, object]:
    return {"job_type": "ping", "payload": {"n": chance.randrange(1_000_000)}}


def _single_bodies(count: int, chance: random.Random) -> list[bytes]:
    return [json.dumps(_job(chance)).encode() for _ in range(count)]


def _batch_bodies(count: int, chance: random.Random) -> list[bytes]:
    return [
        json.dumps({"jobs": [_job(chance) for _ in range(min(BATCH, count - start))]}).encode()
        for start in range(0, count, BATCH)
    ]


async def _backlog(stack: BenchStack, count: int, chance: random.Random) -> None:
    result = await post_all(
        "127.0.0.1", stack.port, "/v1/jobs/batch", _batch_bodies(count, chance), 2
    )
    if result.count(200) * BATCH < count:
        raise RuntimeError(f"backlog submission failed: {result.statuses}")


async def single_submit(env: Environment, count: int, clients: int) -> float:
    """Jobs/s accepted over HTTP, one job per request, `clients` keep-alive connections."""
    chance = random.Random(env.seed)
    async with env.stack() as stack:
        stack.start_api()
        await post_all("127.0.0.1", stack.port, "/v1/jobs", _single_bodies(200, chance), clients)
        result = await post_all(
            "127.0.0.1", stack.port, "/v1/jobs", _single_bodies(count, chance), clients
        )
    if result.count(202) != count:
        raise RuntimeError(f"single submits failed: {result.statuses}")
    return count / result.elapsed


async def batch_submit(env: Environment, count: int, clients: int) -> float:
    """Jobs/s accepted through POST /v1/jobs/batch, 1000 jobs per request."""
    chance = random.Random(env.seed + 1)
    async with env.stack() as stack:
        stack.start_api()
        await _backlog(stack, BATCH, chance)
        bodies = _batch_bodies(count, chance)
        result = await post_all("127.0.0.1", stack.port, "/v1/jobs/batch", bodies, clients)
    if result.count(200) != len(bodies):
        raise RuntimeError(f"batch submits failed: {result.statuses}")
    return count / result.elapsed


async def drain(
    env: Environment,
    backlog: int,
    workers: int,
    before_workers: Callable[[BenchStack], Awaitable[object]] | None = None,
) -> float:
    """Jobs/s finished by `workers` processes from a standing backlog of no-op jobs;
    `before_workers` may change the store once the backlog stands (a limit, say)."""
    chance = random.Random(env.seed + 2)
    async with env.stack() as stack:
        api = stack.start_api()
        await _backlog(stack, backlog, chance)
        api.stop(timeout=60)
        if before_workers is not None:
            await before_workers(stack)
        return await time_drain(stack, backlog, workers)


async def time_drain(stack: BenchStack, backlog: int, workers: int) -> float:
    """Jobs/s `workers` new worker processes finish a standing backlog at, timed from
    the first finished job to the last, so process start-up is left out."""
    started = time.perf_counter()
    for _ in range(workers):
        stack.start("worker")
    first_at, first_count = 0.0, 0
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        done = await stack.finished()
        now = time.perf_counter()
        if done and not first_at:
            first_at, first_count = now, done
        if done >= backlog:
            if now > first_at:
                return (backlog - first_count) / (now - first_at)
            # Drained between two polls: a tiny backlog; count the start-up in.
            return backlog / (now - started)
        await asyncio.sleep(0.05)
    raise RuntimeError("the backlog did not drain within 10 minutes")


@dataclass(frozen=True)
class Latency:
    rate: float
    start_ms: tuple[float, float, float]
    done_ms: tuple[float, float, float]


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


async def latency(env: Environment, rate: float, seconds: float) -> Latency:
    """Submit → attempt start and submit → completed, at a steady open-loop rate."""
    chance = random.Random(env.seed + 3)
    async with env.stack() as stack:
        stack.start_api()
        stack.start("worker")
        await post_all("127.0.0.1", stack.port, "/v1/jobs", _single_bodies(100, chance), 4)
        await stack.wait_finished(100)
        bodies = _single_bodies(int(rate * seconds) + 1, chance)
        await post_at_rate("127.0.0.1", stack.port, "/v1/jobs", bodies.__getitem__, rate, seconds)
        await stack.wait_finished(100 + int(rate * seconds))
        rows = await stack.fetch(
            "SELECT extract(epoch FROM started_at - created_at) AS start,"
            " extract(epoch FROM updated_at - created_at) AS done"
            " FROM jobs WHERE status = 'completed' ORDER BY created_at OFFSET 100"
        )
    return Latency(
        rate,
        _percentiles([float(row["start"]) for row in rows]),
        _percentiles([float(row["done"]) for row in rows]),
    )


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Memory:
    before: float
    peak: float
    after: float


async def worker_memory(env: Environment, backlog: int) -> Memory:
    """Worker RSS (MiB) idle, at its highest while draining `backlog` jobs, and idle after."""
    chance = random.Random(env.seed + 4)
    async with env.stack() as stack:
        stack.start_api()
        worker = stack.start("worker")
        await post_all("127.0.0.1", stack.port, "/v1/jobs", _single_bodies(50, chance), 2)
        await stack.wait_finished(50)
        before = _rss_mib(worker.popen.pid)
        submitting = asyncio.create_task(_backlog(stack, backlog, chance))
        peak = before
        while await stack.finished() < backlog + 50:
            peak = max(peak, _rss_mib(worker.popen.pid))
            await asyncio.sleep(0.2)
        await submitting
        await asyncio.sleep(1)
        return Memory(before, peak, _rss_mib(worker.popen.pid))


LISTING_FILTERS = {
    "newest": "",
    "status": "status=dead",
    "job_type": "job_type=type_7",
    "rare job_type": "job_type=type_rare",
    "queue": "queue=low",
    "key": "idempotency_key=key-12345",
    "created": "created_after={after}&created_before={before}",
    "error": "status=dead&error=upstream%2042",
    "dead last minute": "status=dead&updated_after={minute_ago}",
    "dead before": "status=dead&updated_before={long_ago}",
}


async def listing(env: Environment, rows: int, requests: int) -> dict[str, float]:
    """p99 ms of GET /v1/jobs per documented filter, with `rows` jobs in the table."""
    async with env.stack() as stack:
        stack.start_api()
        await stack.fetch(SYNTHETIC_JOBS, rows, datetime.datetime.now(datetime.UTC))
        await stack.fetch("ANALYZE jobs, job_listing_keys")
        now = datetime.datetime.now(datetime.UTC)
        after = (now - datetime.timedelta(hours=3)).isoformat()
        before = (now - datetime.timedelta(hours=2)).isoformat()
        minute_ago = (now - datetime.timedelta(minutes=1)).isoformat()
        long_ago = (now - datetime.timedelta(hours=200)).isoformat()
        result: dict[str, float] = {}
        for name, template in LISTING_FILTERS.items():
            query = template.format(
                after=quote(after),
                before=quote(before),
                minute_ago=quote(minute_ago),
                long_ago=quote(long_ago),
            )
            latencies = await get_latencies(stack.port, f"/v1/jobs?limit=50&{query}", requests)
            result[name] = statistics.quantiles(latencies, n=100, method="inclusive")[98] * 1000
        return result
