"""A real Redis Cluster on loopback ports: three masters and three replicas, throw-away
(no persistence), that a test may kill a master of or move slots around in."""

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.cluster import RedisCluster

NODES = 6
# How long a master may stay silent before its replica is promoted; Redis's default of
# 15 s would make every failover test slow.
NODE_TIMEOUT_MS = 1000


def _free_port_pair() -> int:
    """A port whose cluster bus port (port + 10000) is free too."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise AssertionError("no free port pair for a cluster node")


def _wait_for(check: Callable[[], bool], what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


@dataclass
class LocalCluster:
    workdir: Path
    ports: list[int] = field(default_factory=list)
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def seeds(self) -> str:
        """REDIS_ADDR of a Taskforge process: every node, so any may be down."""
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    @property
    def port(self) -> int:
        """One node, for code written for one Redis; a cluster client finds the rest."""
        return self.live_ports()[0]

    def start(self) -> None:
        for _ in range(NODES):
            port = _free_port_pair()
            self.ports.append(port)
            self.start_node(port)
        for port in self.ports:
            _wait_for(lambda port=port: self._pings(port), f"node {port} to answer", 10)  # type: ignore[misc]
        created = subprocess.run(
            [
                shutil.which("redis-cli") or "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        self.wait_until_healthy()
        _wait_for(self._replicas_in_sync, "every replica to sync with its master", 30)

    def start_node(self, port: int) -> None:
        node_dir = self.workdir / str(port)
        node_dir.mkdir(exist_ok=True)
        self.processes[port] = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                str(node_dir / "nodes.conf"),
                "--cluster-node-timeout",
                str(NODE_TIMEOUT_MS),
                "--dir",
                str(node_dir),
                "--logfile",
                str(node_dir / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
                # A replica's first sync would otherwise wait 5 s for more replicas to
                # share it, and one that never synced is never promoted.
                "--repl-diskless-sync-delay",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)

    def client(self) -> RedisCluster:
        """A cluster client for the test's own checks (dead letters, slots)."""
        return RedisCluster(host="127.0.0.1", port=self.live_ports()[0], socket_timeout=5)

    def live_ports(self) -> list[int]:
        return [port for port, p in self.processes.items() if p.poll() is None]

    def cluster_info(self, port: int) -> dict[str, str]:
        with self.node(port) as node:
            info: dict[str, str] = node.execute_command("CLUSTER INFO")
        return info

    def masters(self) -> dict[int, list[tuple[int, int]]]:
        """The live masters by port, each with the slot ranges it serves."""
        with self.node(self.live_ports()[0]) as node:
            reply = node.execute_command("CLUSTER SLOTS")
        served: dict[int, list[tuple[int, int]]] = {}
        for start, end, master, *_ in reply:
            served.setdefault(int(master[1]), []).append((int(start), int(end)))
        return served

    def master_of(self, slot: int) -> int:
        for port, ranges in self.masters().items():
            if any(start <= slot <= end for start, end in ranges):
                return port
        raise AssertionError(f"no master serves slot {slot}")

    def slot_of(self, key: str) -> int:
        with self.node(self.live_ports()[0]) as node:
            return int(node.execute_command("CLUSTER KEYSLOT", key))

    def node_id(self, port: int) -> str:
        with self.node(port) as node:
            return str(node.execute_command("CLUSTER MYID").decode())

    def move_slot(self, slot: int, to_port: int) -> int:
        """Migrate one slot, keys and all, to the master on to_port, the way redis-cli
        --cluster reshard does it (IMPORTING, MIGRATING, MIGRATE, then NODE on every
        master); the number of keys moved."""
        from_port = self.master_of(slot)
        source, target = self.node_id(from_port), self.node_id(to_port)
        with self.node(to_port) as to_node, self.node(from_port) as from_node:
            to_node.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source)
            from_node.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target)
            moved = 0
            while keys := from_node.execute_command("CLUSTER GETKEYSINSLOT", slot, 10):
                from_node.execute_command(
                    "MIGRATE", "127.0.0.1", to_port, "", 0, 5000, "KEYS", *keys
                )
                moved += len(keys)
            for port in self.masters():
                with self.node(port) as master:
                    master.execute_command("CLUSTER SETSLOT", slot, "NODE", target)
        return moved

    def wait_for_failover(self, killed: int, within: float = 30) -> None:
        """Until a replica of the killed master serves its slots and the cluster is ok."""

        def promoted() -> bool:
            try:
                return killed not in self.masters()
            except redis.RedisError:
                return False

        _wait_for(promoted, f"a replica to take over from {killed}", within)
        self.wait_until_healthy(within)

    def replicas_of(self, port: int) -> list[int]:
        master = self.node_id(port)
        with self.node(self.live_ports()[0]) as node:
            nodes = node.execute_command("CLUSTER NODES")
        return [
            int(address.rsplit(":", 1)[1].split("@")[0])
            for address, about in nodes.items()
            if about["master_id"] == master
        ]

    def restart(self, port: int) -> None:
        """Start a killed node again on its port and its cluster config; it comes back
        empty (no persistence) and rejoins."""
        self.start_node(port)
        _wait_for(lambda: self._pings(port), f"node {port} to answer again", 10)

    def kill(self, port: int) -> None:
        process = self.processes[port]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def wait_until_healthy(self, within: float = 30) -> None:
        """Every live node says the cluster is ok and agrees on three masters."""

        def healthy() -> bool:
            try:
                ok = all(
                    self.cluster_info(port).get("cluster_state") == "ok"
                    for port in self.live_ports()
                )
                return ok and len(self.masters()) == 3
            except redis.RedisError:
                return False

        _wait_for(healthy, "the cluster to report ok", within)

    def logs(self) -> str:
        """The tail of every node's log, for a failure message."""
        return "\n".join(
            f"--- node {port}\n" + (self.workdir / str(port) / "redis.log").read_text()[-1500:]
            for port in self.ports
            if (self.workdir / str(port) / "redis.log").exists()
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
        for process in self.processes.values():
            process.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _replicas_in_sync(self) -> bool:
        links = []
        for port in self.live_ports():
            with self.node(port) as node:
                replication = node.info("replication")
            if replication.get("role") == "slave":
                links.append(replication.get("master_link_status") == "up")
        return len(links) == NODES // 2 and all(links)

    def _pings(self, port: int) -> bool:
        try:
            with self.node(port) as node:
                return bool(node.ping())
        except redis.RedisError:
            return False


def start_local_cluster() -> LocalCluster:
    cluster = LocalCluster(Path(tempfile.mkdtemp(prefix="taskforge-cluster-")))
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
