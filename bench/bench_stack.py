"""Real api and worker processes on a database and streams of their own, for one measurement."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from redis.asyncio import Redis

TERMINAL = ("completed", "dead")
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class BenchStack:
    def __init__(self, admin_url: str, redis_addr: str, settings: dict[str, str]) -> None:
        self.admin_url = admin_url
        self.redis_addr = redis_addr
        self.settings = settings
        self.name = f"taskforge_bench_{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.database_url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{self.name}"))
        self.stream = f"taskforge:bench:{self.name}:queue:normal"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        db = urlsplit(self.database_url)
        return {
            **os.environ,
            "POSTGRES_HOST": db.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(db.port or 5432),
            "POSTGRES_USER": db.username or "postgres",
            "POSTGRES_PASSWORD": db.password or "",
            "POSTGRES_DB": self.name,
            "POSTGRES_MIGRATION_PATH": f"file://{MIGRATIONS}",
            "REDIS_ADDR": self.redis_addr,
            "REDIS_STREAM": self.stream,
            "REDIS_CONSUMER_GROUP": f"{self.name}-workers",
            "REDIS_STREAM_DLQ": f"taskforge:bench:{self.name}:dlq",
            "REDIS_DLQ_CONSUMER_GROUP": f"{self.name}-dlq",
            "HTTP_ADDR": f"127.0.0.1:{self.port}",
            "HTTP_BASE_URL": self.base_url,
            "WORKER_CONSUMER_NAME": "bench-{pid}",
            "WORKER_RUN_SCHEDULER": "false",
            "LOG_LEVEL": "WARNING",
            **self.settings,
        }

    async def __aenter__(self) -> "BenchStack":
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        return self

    async def __aexit__(self, *_: object) -> None:
        for process in self.processes:
            self.stop(process)
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()
        host, port = self.redis_addr.rsplit(":", 1)
        redis = Redis(host=host, port=int(port))
        try:
            pattern = f"taskforge:bench:{self.name}:*"
            keys: list[bytes] = [key async for key in redis.scan_iter(match=pattern)]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "taskforge_entrypoints.cli", *args],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_api(self) -> subprocess.Popen[bytes]:
        process = self.start("api")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1):
                    return process
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the api did not start within 30s")

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def wait_finished(self, count: int, within: float = 600) -> int:
        """Poll the store until `count` jobs are finished; the store is what counts."""
        deadline = time.monotonic() + within
        done = await self.finished()
        while done < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {count} jobs finished in {within:g}s")
            await asyncio.sleep(0.05)
            done = await self.finished()
        return done

    async def finished(self) -> int:
        rows = await self.fetch(
            "SELECT count(*) AS n FROM jobs WHERE status = ANY($1::text[])", list(TERMINAL)
        )
        return int(rows[0]["n"])
