"""The local Redis Cluster of `python -m bench scaling --redis cluster`: the tests' own
three masters and three replicas on free loopback ports (tests.redis_cluster, the way
the bench takes its PostgreSQL and standalone Redis from the fault suite), with every
node named by its shard, so each shard's CPU is read on its own."""

from redis.asyncio import RedisCluster

from tests.redis_cluster import LocalCluster, start_local_cluster


class MeasuredCluster:
    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self._cluster: LocalCluster = start_local_cluster()
        # Each shard, with the names its master and its replica are reported under.
        self._shards: dict[str, tuple[str, str]] = {}
        self._names: dict[str, int] = {}
        # CPU seconds per second each node spends with no work, by node name.
        self.idle: dict[str, float] = {}
        try:
            self._name_nodes()
        except BaseException:
            self._cluster.stop()
            raise

    def _name_nodes(self) -> None:
        """Shard 1 serves the lowest slots; a shard is its master and its replica."""
        masters = sorted(self._cluster.masters().items(), key=lambda served: min(served[1]))
        for number, (master, ranges) in enumerate(masters, start=1):
            shard = f"shard {number}"
            [replica] = self._cluster.replicas_of(master)
            first, last = min(ranges)[0], max(ranges)[1]
            names = (f"{shard} master (slots {first}-{last})", f"{shard} replica")
            self._shards[shard] = names
            self._names.update({names[0]: master, names[1]: replica})

    @property
    def one_node(self) -> str:
        """host:port of one node, for what speaks to a single Redis (its version, say)."""
        return f"127.0.0.1:{self._cluster.port}"

    def settings(self) -> dict[str, str]:
        """What puts a taskforge process in cluster mode on this cluster."""
        return {
            "REDIS_ADDR": self._cluster.seeds,
            "REDIS_CLUSTER": "true",
            "REDIS_DB": "0",
            "QUEUE_PARTITIONS": str(self.partitions),
        }

    def node_pids(self) -> dict[str, int]:
        return {name: self._cluster.processes[port].pid for name, port in self._names.items()}

    def shards(self) -> list[str]:
        return list(self._shards)

    def node_names(self, shard: str) -> tuple[str, str]:
        """The master's and the replica's names of one shard."""
        return self._shards[shard]

    def stop(self) -> None:
        self._cluster.stop()


async def delete_keys(seeds: str, prefix: str) -> None:
    """Every key under `prefix` on every master, one slot at a time (a plain client's
    multi-key DEL over one node would fail with CROSSSLOT)."""
    host, _, port = seeds.split(",")[0].rpartition(":")
    client = RedisCluster(host=host, port=int(port))
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        for key in keys:
            await client.delete(key)
    finally:
        await client.aclose()
