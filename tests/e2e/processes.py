"""Real `taskforge` processes for end-to-end tests, each logging to a file the test can show."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from taskforge_domain.job_status import TERMINAL_STATUSES
from tests.conftest import PROJECT_ROOT, Services

TERMINAL = frozenset(status.value for status in TERMINAL_STATUSES)
CLI = "taskforge_entrypoints.cli"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TaskforgeProcess:
    """`python -m <entry> <args>`; the entry is the `taskforge` command unless a test
    wires a fault into the process (tests.faults.crash_before_publish)."""

    def __init__(self, args: list[str], env: dict[str, str], entry: str = CLI) -> None:
        self.args = args
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix=f"taskforge-{args[0]}-", suffix=".log", delete=False
        )
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", **env}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", entry, *args],
            cwd=PROJECT_ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"taskforge {self.args} ignored {sig!r}:\n{self.log}") from None
        finally:
            self._log.close()

    def wait_exit(self, timeout: float = 30) -> int:
        return self.popen.wait(timeout)


def taskforge(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one `taskforge` command to its end, as an operator's shell would."""
    return subprocess.run(
        [sys.executable, "-m", CLI, *args],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_until_ready(
    base_url: str, process: TaskforgeProcess, timeout: float = 30, *, for_jobs: bool = True
) -> None:
    """Until the API serves and, `for_jobs`, has migrated the store it reaches: /health
    answers from the start, the job routes only once the migrations are applied."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"taskforge {process.args} exited early:\n{process.log}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200 and (
                not for_jobs or _store_ready(base_url)
            ):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"taskforge {process.args} not serving after {timeout}s:\n{process.log}")


def _store_ready(base_url: str) -> bool:
    checks = httpx.get(f"{base_url}/ready", timeout=5).json()["checks"]
    return bool(checks["postgres"] == "ok")


async def wait_for_status(
    client: httpx.AsyncClient, job_id: str, statuses: frozenset[str] = TERMINAL, within: float = 30
) -> dict[str, object]:
    """Poll the job (as a user would) until it reaches one of `statuses`."""
    deadline = time.monotonic() + within
    job: dict[str, object] = {}
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/jobs/{job_id}")
        job = response.json()
        if job.get("status") in statuses:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {sorted(statuses)}; last seen {job}")


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    api: TaskforgeProcess
    worker: TaskforgeProcess

    @property
    def logs(self) -> str:
        return f"--- api\n{self.api.log}\n--- worker\n{self.worker.log}"


async def stack_environment(
    services: Services, consumer: str, settings: dict[str, str]
) -> dict[str, str]:
    """The environment of an API and a worker on a database of their own, the API on a
    free loopback port; `consumer` names the worker, `settings` tune the rest."""
    database_url = await services.create_database()
    port = free_port()
    return services.environment(
        database_url,
        HTTP_ADDR=f"127.0.0.1:{port}",
        HTTP_BASE_URL=f"http://127.0.0.1:{port}",
        WORKER_CONSUMER_NAME=f"{consumer}-{{pid}}",
        **settings,
    )


@contextmanager
def running_stack(env: dict[str, str]) -> Iterator[Stack]:
    """One API and one worker (with its retry scheduler), as a user would start them;
    both must exit cleanly when stopped."""
    api = TaskforgeProcess(["api"], env)
    worker = TaskforgeProcess(["worker"], env)
    running = Stack(env["HTTP_BASE_URL"], env, api, worker)
    try:
        wait_until_ready(running.base_url, api)
        yield running
    finally:
        exits = (api.stop(), worker.stop())
    assert exits == (0, 0), running.logs
