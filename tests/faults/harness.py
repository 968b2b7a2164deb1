"""A whole Taskforge deployment for one fault scenario: its own database and Redis,
real api, worker and scheduler processes, and the counting that proves the invariant.
"""

import asyncio
import math
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx

from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_domain.job_status import TERMINAL_STATUSES
from tests import services
from tests.conftest import MIGRATIONS_URL
from tests.e2e.processes import CLI, TaskforgeProcess, free_port, wait_until_ready
from tests.faults.attempt_log import Execution, executions, overlapping, runs_per_attempt
from tests.faults.private_services import PrivateRedis

TERMINAL = frozenset(status.value for status in TERMINAL_STATUSES)

FAST_RECOVERY = {
    "SERVICE_MAX_ATTEMPTS": "5",
    "SERVICE_TIMEOUT_SECONDS": "30",
    "BACKOFF_BASE": "50ms",
    "BACKOFF_MAX": "300ms",
    "RETRY_SCHEDULER_INTERVAL": "100ms",
    "REPAIR_INTERVAL": "500ms",
    "REPAIR_GRACE": "1s",
    "WORKER_LEASE": "1s",
    "WORKER_BLOCK_TIMEOUT": "200ms",
    "WORKER_SHUTDOWN_GRACE": "5s",
    "WORKER_CONCURRENCY": "16",
    "WORKER_RUN_SCHEDULER": "false",
    "TASKFORGE_HANDLERS": "tests.faults.recording_handlers",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Report:
    jobs: int
    completed: int
    dead: int
    cancelled: int
    stuck: dict[str, int]
    overlaps: list[tuple[Execution, Execution]]
    attempts_run_twice: list[tuple[str, int]]
    dead_without_letter: int
    interrupted: int
    paused_overlaps: int = 0

    def assert_invariant(self) -> None:
        assert self.jobs == self.completed + self.dead + self.cancelled, self
        assert not self.stuck, f"jobs left non-terminal: {self.stuck}"
        assert not self.attempts_run_twice, f"attempts run twice: {self.attempts_run_twice[:5]}"
        assert not self.overlaps, f"attempts of one job ran at once: {self.overlaps[:3]}"
        assert self.dead_without_letter == 0, f"{self.dead_without_letter} dead, no dead letter"


async def create_database(admin_url: str) -> str:
    name = services.unique_name("taskforge_faults")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return services.with_database(admin_url, name)


@dataclass
class FaultStack:
    database_url: str
    redis: PrivateRedis
    workdir: Path
    overrides: dict[str, str] = field(default_factory=dict)
    processes: dict[str, TaskforgeProcess] = field(default_factory=dict)
    killed_at: dict[int, float] = field(default_factory=dict)
    paused_pids: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.port = free_port()
        (self.workdir / "attempts").mkdir(exist_ok=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        db = urlsplit(self.database_url)
        return {
            **FAST_RECOVERY,
            "POSTGRES_HOST": db.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(db.port or 5432),
            "POSTGRES_USER": db.username or "postgres",
            "POSTGRES_PASSWORD": db.password or "",
            "POSTGRES_DB": db.path.lstrip("/"),
            "POSTGRES_MIGRATION_PATH": MIGRATIONS_URL,
            "REDIS_ADDR": f"127.0.0.1:{self.redis.port}",
            "REDIS_STREAM": "taskforge:queue:normal",
            "REDIS_STREAM_DLQ": "taskforge:dlq",
            "HTTP_ADDR": f"127.0.0.1:{self.port}",
            "HTTP_BASE_URL": self.base_url,
            "TASKFORGE_FAULT_LOG_DIR": str(self.workdir / "attempts"),
            **self.overrides,
            **extra,
        }

    def start(
        self, name: str, *args: str, entry: str = CLI, for_jobs: bool = True, **extra: str
    ) -> TaskforgeProcess:
        """Start a process; an api is waited for until it serves (`for_jobs`: and has
        migrated, so it takes jobs)."""
        env = self.env(WORKER_CONSUMER_NAME=f"{name}-{{pid}}", **extra)
        process = TaskforgeProcess(list(args), env, entry)
        self.processes[name] = process
        if args[0] == "api":
            wait_until_ready(self.base_url, process, for_jobs=for_jobs)
        return process

    def start_default(self, workers: int = 1, *, for_jobs: bool = True) -> None:
        self.start("api", "api", for_jobs=for_jobs)
        self.start("scheduler", "scheduler")
        for number in range(1, workers + 1):
            self.start(f"worker{number}", "worker")

    def pause(self, name: str) -> None:
        process = self.processes[name].popen
        self.paused_pids.add(process.pid)
        process.send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        self.processes[name].popen.send_signal(signal.SIGCONT)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        self.killed_at[process.popen.pid] = time.time()
        process.popen.send_signal(sig)
        process.popen.wait(10)

    def stop_all(self) -> dict[str, int]:
        return {name: process.stop() for name, process in self.processes.items()}

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log[-4000:]}" for name, p in self.processes.items())

    async def submit(
        self,
        count: int,
        payload: Callable[[int], dict[str, Any]],
        key: Callable[[int], str | None] = lambda _: None,
        concurrency: int = 32,
        fields: Callable[[int], dict[str, Any]] = lambda _: {},
    ) -> list[httpx.Response]:
        """POST `count` record jobs; `fields` adds to a job's body (delay_seconds, queue)."""
        limit = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:

            async def one(index: int) -> httpx.Response:
                headers = {"Idempotency-Key": k} if (k := key(index)) else {}
                body = {"job_type": "record", "payload": payload(index), **fields(index)}
                async with limit:
                    return await client.post("/v1/jobs", json=body, headers=headers)

            return await asyncio.gather(*(one(i) for i in range(count)))

    async def enqueue_directly(self, count: int) -> int:
        """A backlog of queued jobs with their messages, written the way the API writes them."""
        ids = [uuid.uuid4() for _ in range(count)]
        await migrate_up(self.database_url, MIGRATIONS_URL)
        conn = await asyncpg.connect(self.database_url)
        try:
            now = await conn.fetchval("SELECT now()")
            await conn.copy_records_to_table(
                "jobs",
                columns=[
                    "id",
                    "job_type",
                    "payload",
                    "status",
                    "max_attempts",
                    "run_at",
                    "created_at",
                    "updated_at",
                ],
                records=[(i, "record", '{"ms": 1}', "queued", 5, now, now, now) for i in ids],
            )
        finally:
            await conn.close()
        with self.redis.client() as client:
            pipe = client.pipeline(transaction=False)
            for job_id in ids:
                pipe.xadd("taskforge:queue:normal", {"job_id": str(job_id), "job_type": "record"})
            pipe.execute()
        return count

    async def wait_for_log(
        self, process: TaskforgeProcess, text: str, count: int, within: float = 30
    ) -> int:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            seen = process.log.count(text)
            if seen >= count:
                return seen
            await asyncio.sleep(0.05)
        raise AssertionError(f"{text!r} not logged {count} times\n{process.log[-3000:]}")

    async def counts(self) -> dict[str, int]:
        conn = await asyncpg.connect(self.database_url)
        try:
            rows = await conn.fetch("SELECT status, count(*) AS n FROM jobs GROUP BY status")
        finally:
            await conn.close()
        return {row["status"]: row["n"] for row in rows}

    async def job(self, job_id: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            return dict((await client.get(f"/v1/jobs/{job_id}")).json())

    async def started_attempts(self) -> list[Execution]:
        return executions(self.workdir / "attempts", self.killed_at)

    async def wait_for_attempt_start(self, job_id: str, attempt: int, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            runs = await self.started_attempts()
            if any(run.job_id == job_id and run.attempt == attempt for run in runs):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"attempt {attempt} of {job_id} never started\n{self.logs()}")

    async def worker_running_an_attempt(self, within: float = 30) -> str:
        """The name of a worker that runs a handler at this moment."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            in_flight = {run.pid for run in await self.started_attempts() if run.ended == math.inf}
            for name, process in self.processes.items():
                if name.startswith("worker") and process.popen.pid in in_flight:
                    return name
            await asyncio.sleep(0.02)
        raise AssertionError(f"no worker ran an attempt within {within}s\n{self.logs()}")

    async def wait_for_status_count(self, status: str, at_least: int, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while (await self.counts()).get(status, 0) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {at_least} {status} jobs\n{self.logs()}")
            await asyncio.sleep(0.1)

    async def settle(self, within: float = 60) -> dict[str, int]:
        """Wait until every stored job is terminal; fail with the logs if it never happens."""
        deadline = time.monotonic() + within
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            counts = await self.counts()
            if counts and all(status in TERMINAL for status in counts):
                return counts
            await asyncio.sleep(0.1)
        raise AssertionError(f"not settled after {within}s: {counts}\n{self.logs()}")

    async def report(self, letters_since: float = 0.0) -> Report:
        counts = await self.counts()
        runs = executions(self.workdir / "attempts", self.killed_at)
        pairs = overlapping(runs)
        # A paused (SIGSTOP) worker cannot be stopped from resuming its handler until
        # it notices its lost lease; those overlaps are counted apart, not excused silently.
        paused = [pair for pair in pairs if pair[0].pid in self.paused_pids]
        return Report(
            jobs=sum(counts.values()),
            completed=counts.get("completed", 0),
            dead=counts.get("dead", 0),
            cancelled=counts.get("cancelled", 0),
            stuck={s: n for s, n in counts.items() if s not in TERMINAL},
            overlaps=[pair for pair in pairs if pair not in paused],
            paused_overlaps=len(paused),
            attempts_run_twice=[key for key, n in runs_per_attempt(runs).items() if n > 1],
            dead_without_letter=await self._dead_without_letter(letters_since),
            interrupted=sum(1 for run in runs if run.ended in self.killed_at.values()),
        )

    async def _dead_without_letter(self, since: float) -> int:
        conn = await asyncpg.connect(self.database_url)
        try:
            dead = await conn.fetch(
                "SELECT id FROM jobs WHERE status = 'dead' AND extract(epoch FROM updated_at) > $1",
                since,
            )
        finally:
            await conn.close()
        with self.redis.client() as client:
            letters = client.xrange("taskforge:dlq")
        lettered = {fields[b"job_id"].decode() for _, fields in letters}
        return sum(1 for row in dead if str(row["id"]) not in lettered)


def new_key() -> str:
    return f"k-{uuid.uuid4()}"
