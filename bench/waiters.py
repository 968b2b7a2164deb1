"""(h) Waiters held by one API process, and how soon a completion reaches its waiter.

`count` long-polls (GET /v1/jobs/{id}?wait=60) are held open on one API process while
no worker runs; then the jobs are completed one at a time at `rate` jobs/s through the
store's own outcome statement (PgJobRepository.record_outcomes, the one workers use),
and each waiter's latency is counted from the moment its job's write was sent to the
moment its answer arrived. Also measured while the waiters are held: the API's
database connections (the waiters must hold none) and its open file descriptors."""

import asyncio
import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx

from bench.bench_stack import BenchStack
from bench.measures import Environment
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool


@dataclass(frozen=True)
class Waiters:
    held: int
    api_db_connections: int
    api_fds: int
    api_rss_mib: float
    latency_ms: tuple[float, float, float]


def _open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _connections_held(pid: int, before: int, count: int, within: float = 60) -> int:
    """The connections the API holds beyond `before`, once it holds `count` (or time is up)."""
    deadline = time.monotonic() + within
    while (held := _open_fds(pid) - before) < count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    return held


async def _submitted(client: httpx.AsyncClient, count: int) -> list[UUID]:
    bodies = [{"job_type": "ping", "payload": {"n": n}} for n in range(count)]
    ids: list[UUID] = []
    for start in range(0, count, 1000):
        answer = await client.post("/v1/jobs/batch", json={"jobs": bodies[start : start + 1000]})
        ids += [UUID(item["job"]["id"]) for item in answer.json()["results"]]
    return ids


async def _api_connections(stack: BenchStack) -> int:
    rows = await stack.fetch(
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return int(rows[0]["n"])


async def _long_poll(port: int, job_id: UUID, answered: dict[UUID, float]) -> None:
    """One long-poll on a connection of its own, read by hand: an HTTP client library's
    pool of a thousand connections costs more per answer than the answer takes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        request = f"GET /v1/jobs/{job_id}?wait=60 HTTP/1.1\r\nHost: bench\r\n\r\n"
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *([0-9]+)", head)[1])  # type: ignore[index]
        body = await reader.readexactly(length)
        if b'"status":"completed"' in body:
            answered[job_id] = time.perf_counter()
    finally:
        writer.close()


async def waiters(env: Environment, count: int, rate: float) -> Waiters:
    async with env.stack() as stack:
        api = stack.start_api()
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=90) as http:
            ids = await _submitted(http, count)
        answered: dict[UUID, float] = {}
        before = _open_fds(api.popen.pid)
        polls = [asyncio.create_task(_long_poll(stack.port, job_id, answered)) for job_id in ids]
        held = await _connections_held(api.popen.pid, before, count)
        # Every held request has read its job once: none waits on the database now.
        await asyncio.sleep(1)
        connections = await _api_connections(stack)
        fds, rss = _open_fds(api.popen.pid), _rss_mib(api.popen.pid)
        if any(poll.done() for poll in polls):
            raise RuntimeError("a long-poll was answered before its job finished")
        sent = await _complete_one_by_one(stack.database_url, ids, rate)
        await asyncio.wait_for(asyncio.gather(*polls), 60)
    latencies = [answered[job_id] - sent[job_id] for job_id in ids if job_id in answered]
    if len(latencies) < count:
        raise RuntimeError(f"only {len(latencies)} of {count} waiters saw their job complete")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Waiters(held, connections, fds, rss, (cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000))


async def _complete_one_by_one(
    database_url: str, ids: list[UUID], rate: float
) -> dict[UUID, float]:
    """Each job claimed, then completed by the workers' outcome statement, one per 1/rate s."""
    pool = await create_pg_pool(database_url, max_size=2)
    try:
        store = PgJobRepository(pool)
        now = datetime.now(UTC)
        running = await store.claim(ids, now, timedelta(minutes=5), "bench")
        # Claiming announced every job once (running); a long-poll reads nothing for it.
        await asyncio.sleep(0.5)
        sent: dict[UUID, float] = {}
        started = time.perf_counter()
        for index, job in enumerate(running):
            await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            sent[job.id] = time.perf_counter()
            await store.record_outcomes([job.complete(None, datetime.now(UTC))])
        return sent
    finally:
        await pool.close()
