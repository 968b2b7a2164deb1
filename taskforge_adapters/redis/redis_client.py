from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from taskforge_adapters.redis.redis_tls import RedisTlsOptions, redis_tls_arguments


def create_redis_client(
    address: str,
    password: str,
    db: int,
    *,
    read_timeout: float,
    connect_timeout: float = 2.0,
    tls: RedisTlsOptions | None = None,
) -> Redis:
    """One client (and pool) per process.

    read_timeout must exceed the longest XREADGROUP block, or redis-py reports a
    blocking read that simply found nothing as a timeout.
    """
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
