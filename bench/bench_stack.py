"""One measurement's deployment, started the way the tests start theirs: a database and
streams of its own (tests.conftest.Services) and real `taskforge` processes
(tests.e2e.processes), all stopped and dropped when the measurement ends."""

import asyncio
import contextlib
import time
import uuid
from typing import Any

import asyncpg

from bench.measured_cluster import delete_keys
from taskforge_domain.job_status import TERMINAL_STATUSES
from tests.conftest import Services
from tests.e2e.processes import TaskforgeProcess, free_port, wait_until_ready

TERMINAL = sorted(status.value for status in TERMINAL_STATUSES)


class BenchStack:
    def __init__(self, admin_url: str, redis_addr: str, settings: dict[str, str]) -> None:
        self.services = Services(
            admin_url, f"redis://{redis_addr}/0", uuid.uuid4().hex[:8], kind="bench"
        )
        self.settings = settings
        self.port = free_port()
        self.database_url = ""
        self._cleanup = contextlib.AsyncExitStack()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "BenchStack":
        self.database_url = await self.services.create_database()
        self._cleanup.push_async_callback(self._drop_run_data)
        return self

    async def _drop_run_data(self) -> None:
        if self.settings.get("REDIS_CLUSTER") == "true":
            # Gone from every shard first, so the single-node cleanup finds nothing left.
            await delete_keys(self.settings["REDIS_ADDR"], self.services.key_prefix)
        await self.services.drop_run_data()

    async def __aexit__(self, *_: object) -> None:
        await self._cleanup.aclose()

    def start(self, *args: str, **extra: str) -> TaskforgeProcess:
        """`extra` settings win over the stack's (a second API's own HTTP_ADDR, say)."""
        defaults = {
            "HTTP_ADDR": f"127.0.0.1:{self.port}",
            "HTTP_BASE_URL": self.base_url,
            "WORKER_CONSUMER_NAME": "bench-{pid}",
            "WORKER_RUN_SCHEDULER": "false",
            "LOG_LEVEL": "WARNING",
        }
        env = self.services.environment(self.database_url, **{**defaults, **self.settings, **extra})
        process = TaskforgeProcess(list(args), env)
        # Stopped before the database is dropped, so no process is left waiting it out.
        self._cleanup.callback(process.stop, timeout=60)
        return process

    def start_api(self) -> TaskforgeProcess:
        process = self.start("api")
        wait_until_ready(self.base_url, process)
        return process

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
            "SELECT count(*) AS n FROM jobs WHERE status = ANY($1::text[])", TERMINAL
        )
        return int(rows[0]["n"])
