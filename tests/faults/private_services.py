"""A Redis and a PostgreSQL of the fault suite's own, on free ports, that it may flush,
kill and restart without disturbing anything else on the machine.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.e2e.processes import free_port


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def server_arguments(self) -> list[str]:
        """How redis-server listens; a subclass may listen otherwise (over TLS, say)."""
        return ["--port", str(self.port)]

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                *self.server_arguments(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: self._pings(), "private Redis to answer")

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def restart(self) -> None:
        """A restart without persistence: every stream and group is gone afterwards."""
        self.stop()
        self.start()

    def flushall(self) -> None:
        with self.client() as client:
            client.flushall()

    def _pings(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False


class PrivatePostgres:
    """A throw-away cluster (initdb) with fsync off: stopped and started like a real outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self._bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self._dir = Path(tempfile.mkdtemp(prefix="taskforge-faults-pg-"))
        self._data = self._dir / "data"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self._dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self._data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.configure(self._data)
        self.start()

    def configure(self, data: Path) -> None:
        """Between initdb and the first start: a subclass edits the cluster's files here."""

    def give_to_server(self, path: Path) -> None:
        """A file in the cluster's directory that the server, not root, must own."""
        if self._as_postgres:
            shutil.chown(path, "postgres", "postgres")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
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

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_postgres, str(self._bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )


def _wait_for(check: object, what: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
