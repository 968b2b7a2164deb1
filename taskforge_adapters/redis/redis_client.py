from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff

from taskforge_adapters.redis.redis_tls import RedisTlsOptions, redis_tls_arguments

# Either client speaks the same commands; the adapters keep to one slot per command, so
# they need not know which one they hold.
RedisClient = Redis | RedisCluster


def create_redis_client(
    address: str,
    password: str,
    db: int,
    *,
    read_timeout: float,
    connect_timeout: float = 2.0,
    tls: RedisTlsOptions | None = None,
    cluster: bool = False,
) -> RedisClient:
    """One client (and pool) per process; with `cluster`, `address` lists seed nodes as
    host:port,host:port and the client learns the rest of the cluster from them.

    read_timeout must exceed the longest XREADGROUP block, or redis-py reports a
    blocking read that simply found nothing as a timeout.
    """
    if cluster:
        return create_cluster_client(
            address,
            password,
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
            tls=tls,
        )
    host, _, port = address.rpartition(":")
    return Redis(
        host=host or "localhost",
        port=int(port),
        db=db,
        password=password or None,
        protocol=2,
        socket_timeout=read_timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
        **redis_tls_arguments(tls),
    )


def create_cluster_client(
    seeds: str,
    password: str,
    *,
    read_timeout: float,
    connect_timeout: float = 2.0,
    tls: RedisTlsOptions | None = None,
) -> RedisCluster:
    nodes = []
    for seed in seeds.split(","):
        host, _, port = seed.strip().rpartition(":")
        nodes.append(ClusterNode(host or "localhost", int(port)))
    return RedisCluster(
        startup_nodes=nodes,
        password=password or None,
        protocol=2,
        socket_timeout=read_timeout,
        socket_connect_timeout=connect_timeout,
        # MOVED and ASK are followed by the client itself; these retries cover a node
        # that stopped answering until its replica is promoted: a few short tries, then
        # the caller sees an outage and waits it out as it does any other.
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        # No load_balancing_strategy: reads stay on the masters, since a replica lags and
        # every XREADGROUP writes the consumer group anyway.
        health_check_interval=30,
        **redis_tls_arguments(tls),
    )
