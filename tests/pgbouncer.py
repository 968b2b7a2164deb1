"""A PgBouncer of the test's own, in transaction pooling mode, in front of a PostgreSQL.

Debian's `pgbouncer` (installed by `make test-tools`) listens on a free loopback port;
authentication is trust, with a generated user list naming the users the test connects
as. Its few server connections are lent out one transaction at a time, as in production.
"""

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.e2e.processes import free_port

# Few server connections for many clients, so that consecutive transactions of one
# client really land on different server connections.
SERVER_CONNECTIONS = 4

_CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = {auth_file}
admin_users = {admin}
default_pool_size = {pool_size}
max_client_conn = 1000
max_db_connections = {pool_size}
server_check_delay = 0
stats_period = 1
log_connections = 0
log_disconnections = 0
"""


def _unprivileged_account() -> pwd.struct_passwd:
    """Whom PgBouncer runs as when the tests run as root, which it refuses to run as:
    `postgres` where PostgreSQL is installed, else `nobody`."""
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise AssertionError(
        "running as root, with neither a postgres nor a nobody user to run PgBouncer as"
    )


class PgBouncer:
    """Started on construction; `stop` ends it. Run as root, the tests start it as an
    unprivileged user (_unprivileged_account); otherwise as the current user."""

    def __init__(self, server_url: str, users: list[str], pool_size: int = SERVER_CONNECTIONS):
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            raise AssertionError("pgbouncer is not installed: run `make test-tools`")
        server = urlsplit(server_url)
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="taskforge-pgbouncer-"))
        auth_file = self._dir / "userlist.txt"
        auth_file.write_text("".join(f'"{user}" ""\n' for user in users))
        config = self._dir / "pgbouncer.ini"
        config.write_text(
            _CONFIG.format(
                host=server.hostname or "127.0.0.1",
                port=server.port or 5432,
                listen_port=self.port,
                auth_file=auth_file,
                admin=users[0],
                pool_size=pool_size,
            )
        )
        self._dir.chmod(0o755)
        self._config = config
        self._log = self._dir / "pgbouncer.log"
        self._binary = binary
        self._start()

    def _start(self) -> None:
        # Switched to in the child itself: runuser would stand between, and delay a stop.
        account = _unprivileged_account() if os.geteuid() == 0 else None
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [self._binary, str(self._config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
                extra_groups=[] if account else None,
            )
        self._wait_until_listening()

    def crash_and_restart(self) -> None:
        """kill -9, then a new PgBouncer on the same port: every client connection breaks,
        with whatever transaction it had open."""
        self._process.kill()
        self._process.wait()
        self._start()

    def url(self, server_url: str) -> str:
        """`server_url` (user, password, database) reached through this PgBouncer."""
        parts = urlsplit(server_url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self.port}" if credentials else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def transactions(self, database: str) -> int:
        """Transactions PgBouncer has carried for `database` (its admin console's SHOW STATS)."""
        for row in self._console("SHOW STATS"):
            if row["database"] == database:
                return int(row["total_xact_count"])
        return 0

    def server_connections(self, database: str) -> int:
        """Server connections PgBouncer holds to `database` now (SHOW SERVERS is live)."""
        return sum(1 for row in self._console("SHOW SERVERS") if row["database"] == database)

    async def wait_for_transactions(self, database: str, at_least: int, within: float = 10) -> None:
        """Until SHOW STATS counts `at_least` transactions; it is refreshed every second."""
        deadline = time.monotonic() + within
        while (seen := self.transactions(database)) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"PgBouncer carried {seen} transactions, not {at_least}")
            await asyncio.sleep(0.2)

    def _console(self, command: str) -> list[dict[str, str]]:
        """The rows the admin console answers, by column name: the columns' order and
        number change between PgBouncer versions."""
        address = ["-h", "127.0.0.1", "-p", str(self.port), "-U", self._admin()]
        result = subprocess.run(
            ["psql", *address, "-A", "-P", "footer=off", "-d", "pgbouncer", "-c", command],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        header, *lines = result.stdout.splitlines()
        columns = header.split("|")
        return [dict(zip(columns, line.split("|"), strict=True)) for line in lines]

    def _admin(self) -> str:
        return (self._dir / "userlist.txt").read_text().split('"')[1]

    @property
    def log(self) -> str:
        return self._log.read_text(errors="replace")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _wait_until_listening(self, within: float = 10) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"pgbouncer exited at start:\n{self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"pgbouncer not listening after {within}s:\n{self.log}")
