"""With one partition and no cluster, the channel sends Redis exactly the commands it sent
before partitions and cluster mode existed: the names of SPEC.md, one XREADGROUP for
several queues, no extra round trip. MONITOR records what reaches the server."""

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
import redis.asyncio as aioredis

from taskforge_adapters.redis.redis_stream_backlog import RedisStreamBacklog
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from tests.conftest import Services
from tests.contracts.builders import new_job

# What the channel's calls below send, in order; B is the run's base name, IDs and job ids
# are masked.
EXPECTED = """
XGROUP CREATE B:queue:high g 0 MKSTREAM
XGROUP CREATE B:queue:normal g 0 MKSTREAM
XGROUP CREATE B:dlq d 0 MKSTREAM
XADD B:queue:normal * job_id UUID job_type echo
XADD B:queue:high * job_id UUID job_type echo
XADD B:queue:normal * job_id UUID job_type echo
XREADGROUP GROUP g c1 COUNT 5 BLOCK 100 STREAMS B:queue:high B:queue:normal > >
XREADGROUP GROUP g c1 COUNT 10 BLOCK 50 STREAMS B:queue:normal >
XACK B:queue:high g ID
XDEL B:queue:high ID
XAUTOCLAIM B:queue:high g c2 0 0-0 COUNT 10
XAUTOCLAIM B:queue:normal g c2 0 0-0 COUNT 10
XREADGROUP GROUP g c2 COUNT 10 STREAMS B:queue:normal 0
XREADGROUP GROUP g c2 COUNT 8 STREAMS B:queue:high 0
XREADGROUP GROUP g c2 COUNT 8 STREAMS B:queue:low 0
XPENDING B:queue:high g
XPENDING B:queue:normal g
XPENDING B:queue:low g
XRANGE B:queue:normal - + COUNT 1000
XRANGE B:queue:high - + COUNT 1000
XRANGE B:queue:low - + COUNT 1000
XACK B:queue:normal g ID ID
XDEL B:queue:normal ID ID
""".strip().splitlines()

ENTRY_ID = re.compile(r"\b\d{13}-\d+\b")
JOB_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


@pytest.fixture
def monitor(test_services: Services, tmp_path: Path) -> Iterator[Path]:
    """`redis-cli MONITOR` writing every command the server runs to a file."""
    redis = urlsplit(test_services.redis_url)
    log = tmp_path / "monitor.log"
    with log.open("w") as out:
        watcher = subprocess.Popen(
            [
                shutil.which("redis-cli") or "redis-cli",
                "-h",
                redis.hostname or "127.0.0.1",
                "-p",
                str(redis.port or 6379),
                "MONITOR",
            ],
            stdout=out,
        )
    try:
        yield log
    finally:
        watcher.terminate()
        watcher.wait(10)


async def until_logged(client: aioredis.Redis, log: Path, marker: str) -> None:
    """MONITOR has shown a command carrying marker: everything sent before it is in."""
    for _ in range(200):
        await client.echo(marker)
        if marker in await asyncio.to_thread(log.read_text):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("MONITOR never showed the marker")


def commands_on(log: Path, base: str) -> list[str]:
    lines = []
    for line in log.read_text().splitlines():
        if base not in line or '"ECHO"' in line:
            continue
        words = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
        text = " ".join(words).replace(base, "B")
        lines.append(JOB_ID.sub("UUID", ENTRY_ID.sub("ID", text)))
    return lines


async def test_one_partition_without_a_cluster_sends_the_same_commands_as_before(
    test_services: Services, redis_client: aioredis.Redis, monitor: Path
) -> None:
    base = f"{test_services.key_prefix}:commands-{uuid4().hex[:12]}"
    channel = RedisStreamChannel(
        redis_client,
        stream=f"{base}:queue:normal",
        group="g",
        dlq_stream=f"{base}:dlq",
        dlq_group="d",
        queues=["high", "normal", "low"],
        served=["high", "normal"],
    )
    backlog = RedisStreamBacklog(redis_client, stream=f"{base}:queue:normal", group="g")
    await until_logged(redis_client, monitor, f"{base}-start")

    await channel.prepare()
    await channel.publish([new_job(), new_job(queue="high"), new_job()])
    received = await channel.receive("c1", ["high", "normal"], 10, 100)
    await channel.receive("c1", ["normal"], 10, 50)
    await channel.ack([d.message_id for d in received[:1]])
    await channel.reclaim_idle("c2", 0, 10)
    await channel.unacknowledged("c2", 10)
    await backlog.in_flight(["high", "normal", "low"])
    await channel.job_ids_in_transit()
    await channel.ack([d.message_id for d in received[1:]])
    await until_logged(redis_client, monitor, f"{base}-end")

    assert commands_on(monitor, base) == EXPECTED
