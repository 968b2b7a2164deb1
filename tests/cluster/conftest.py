"""Real taskforge processes in cluster mode (REDIS_CLUSTER=true, QUEUE_PARTITIONS=4) on the
run's local Redis Cluster: the e2e flows again, and what only a cluster can do."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import RedisCluster

from taskforge_adapters.redis.redis_client import create_cluster_client
from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment
from tests.faults.harness import FaultStack
from tests.redis_cluster import LocalCluster, start_local_cluster

PARTITIONS = 4


def cluster_settings(cluster: LocalCluster) -> dict[str, str]:
    return {
        "REDIS_ADDR": cluster.seeds,
        "REDIS_CLUSTER": "true",
        "REDIS_DB": "0",
        "REDIS_PASSWORD": "",
        "QUEUE_PARTITIONS": str(PARTITIONS),
    }


@pytest_asyncio.fixture(scope="session")
async def stack_env(test_services: Services, redis_cluster: LocalCluster) -> dict[str, str]:
    return await stack_environment(
        test_services, "cluster-worker", {**FAST_RETRIES, **cluster_settings(redis_cluster)}
    )


@pytest.fixture(scope="session")
def stack(stack_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(stack_env) as running:
        yield running


@pytest_asyncio.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        yield http


@pytest_asyncio.fixture(scope="session")
async def redis_client(redis_cluster: LocalCluster) -> AsyncIterator[RedisCluster]:
    """The flows read the dead letters with this: here, from the cluster."""
    client = create_cluster_client(redis_cluster.seeds, "", read_timeout=10)
    yield client
    await client.aclose()


@pytest.fixture
def own_cluster() -> Iterator[LocalCluster]:
    """A cluster for one test that breaks it (a master killed, slots moved)."""
    cluster = start_local_cluster()
    yield cluster
    cluster.stop()


@pytest_asyncio.fixture
async def fault_stack(
    test_services: Services, own_cluster: LocalCluster, tmp_path: Path
) -> AsyncIterator[FaultStack]:
    """The fault suite's deployment (tests/faults/harness.py), in cluster mode on four
    partitions of a cluster of its own."""
    deployment = FaultStack(
        await test_services.create_database(),
        own_cluster,  # type: ignore[arg-type]  # answers the client() the harness reads letters with
        tmp_path,
        overrides=cluster_settings(own_cluster),
    )
    yield deployment
    deployment.stop_all()
