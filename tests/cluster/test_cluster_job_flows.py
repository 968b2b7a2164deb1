"""The flows of tests/e2e/test_job_flows.py again, with the api and the worker in cluster
mode on four partitions (tests/cluster/conftest.py swaps the stack and the Redis client),
and a burst of jobs that must all complete, spread over every partition."""

import asyncio

import httpx
from redis.asyncio import RedisCluster

from taskforge_adapters.redis.stream_layout import NORMAL, StreamLayout
from tests.cluster.conftest import PARTITIONS
from tests.e2e.processes import Stack, wait_for_status
from tests.e2e.test_job_flows import (
    test_dead_job_dies_at_first_attempt_without_retry,
    test_fail_job_ends_dead_with_one_complete_dead_letter,
    test_failing_ping_retries_then_dies_after_max_attempts,
    test_ping_job_is_accepted_then_completed,
    test_same_idempotency_key_replays_the_first_job,
    test_unknown_job_type_goes_dead_naming_the_type,
)

__all__ = [
    "test_dead_job_dies_at_first_attempt_without_retry",
    "test_fail_job_ends_dead_with_one_complete_dead_letter",
    "test_failing_ping_retries_then_dies_after_max_attempts",
    "test_ping_job_is_accepted_then_completed",
    "test_same_idempotency_key_replays_the_first_job",
    "test_unknown_job_type_goes_dead_naming_the_type",
]

JOBS = 200


async def test_a_burst_of_jobs_all_complete_spread_over_every_partition(
    client: httpx.AsyncClient, stack: Stack, redis_client: RedisCluster
) -> None:
    streams = StreamLayout(stack.env["REDIS_STREAM"], PARTITIONS, cluster=True).streams_of(NORMAL)
    added_before = [await _entries_added(redis_client, stream) for stream in streams]
    limit = asyncio.Semaphore(16)

    async def submit(number: int) -> str:
        async with limit:
            response = await client.post(
                "/v1/jobs", json={"job_type": "ping", "payload": {"message": str(number)}}
            )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    ids = await asyncio.gather(*(submit(number) for number in range(JOBS)))
    finished = await asyncio.gather(*(wait_for_status(client, job_id, within=45) for job_id in ids))

    assert [job["status"] for job in finished] == ["completed"] * JOBS, stack.logs
    assert [job["result"] for job in finished] == [{"message": str(n)} for n in range(JOBS)]
    added = [
        await _entries_added(redis_client, stream) - before
        for stream, before in zip(streams, added_before, strict=True)
    ]
    # Round robin over the partitions: each got its share of the burst, give or take the
    # other tests' jobs published meanwhile.
    assert all(count >= JOBS // PARTITIONS for count in added), added
    assert len({redis_client.keyslot(stream) for stream in streams}) == PARTITIONS


async def _entries_added(client: RedisCluster, stream: str) -> int:
    if not await client.exists(stream):
        return 0
    info = await client.xinfo_stream(stream)
    return int(info["entries-added"])
