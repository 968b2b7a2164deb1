"""Operators' writes (cancel, replay) racing workers that are killed mid-batch."""

import asyncio

import httpx

from tests.faults.harness import FaultStack

ALWAYS_FAILS = 99


async def test_cancels_and_replays_while_workers_die_leave_every_job_finished_once(
    stack: FaultStack,
) -> None:
    stack.start_default(workers=2)
    responses = await stack.submit(
        150, lambda i: {"ms": 20 + i % 150, "fail_attempts": ALWAYS_FAILS if i % 5 == 0 else 0}
    )
    ids = [response.json()["id"] for response in responses]

    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        cancels = [client.post(f"/v1/jobs/{job_id}/cancel") for job_id in ids[::7]]
        answers = await asyncio.gather(*cancels)
        stack.kill("worker1")
        stack.start("worker1", "worker")
        await stack.wait_for_status_count("dead", at_least=5)
        replay = await client.post(
            "/v1/dead-letters/replay", json={"attempts": 1, "rate_per_second": 500}
        )
        stack.kill("worker2")
        stack.start("worker2", "worker")

    await stack.settle(within=90)
    assert all(answer.status_code in (200, 409) for answer in answers)
    assert replay.status_code == 200
    assert replay.json()["replayed"] >= 5
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == 150
    assert report.cancelled > 0
