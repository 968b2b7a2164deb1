"""Workers die, hang or are stopped mid-job: every job still ends, no attempt runs twice."""

import asyncio
import random
import signal

import pytest

from tests.faults.harness import FaultStack


@pytest.mark.parametrize("seed", [20261128])
async def test_sigkill_of_workers_mid_batch_loses_nothing(stack: FaultStack, seed: int) -> None:
    chance = random.Random(seed)
    stack.start_default(workers=2)

    accepted = await stack.submit(300, lambda _: {"ms": chance.randint(20, 300)})
    for _ in range(3):
        # Whatever the machine's speed, each kill lands on a worker in the middle of a job.
        victim = await stack.worker_running_an_attempt()
        await asyncio.sleep(chance.uniform(0.0, 0.01))
        stack.kill(victim)
        stack.start(victim, "worker")

    assert all(response.status_code == 202 for response in accepted)
    await stack.settle(within=90)
    report = await stack.report()
    report.assert_invariant()
    assert report.jobs == 300
    assert report.interrupted > 0, "no kill landed mid-attempt; the scenario proved nothing"


async def test_killed_worker_attempt_is_recovered_within_a_lease_and_an_interval(
    stack: FaultStack,
) -> None:
    stack.start_default(workers=1)
    [response] = await stack.submit(1, lambda _: {"ms": 60_000})
    job_id = response.json()["id"]
    await stack.wait_for_attempt_start(job_id, attempt=1)

    stack.kill("worker1")
    killed = asyncio.get_running_loop().time()
    stack.start("worker2", "worker")
    await stack.wait_for_attempt_start(job_id, attempt=2)
    recovery = asyncio.get_running_loop().time() - killed

    assert recovery < 1.0 + 0.1 + 2.0, f"recovered after {recovery:.2f}s"
    report = await stack.report()
    assert not report.overlaps


async def test_handler_far_longer_than_the_lease_runs_once(stack: FaultStack) -> None:
    stack.start_default(workers=2)

    [response] = await stack.submit(1, lambda _: {"ms": 5_000})
    await stack.settle(within=30)

    job = await stack.job(response.json()["id"])
    assert job["status"] == "completed"
    assert job["attempt"] == 1
    (await stack.report()).assert_invariant()


async def test_sigterm_lets_in_flight_attempts_finish_and_record_their_outcome(
    stack: FaultStack,
) -> None:
    stack.start_default(workers=1)
    responses = await stack.submit(10, lambda _: {"ms": 800})
    await stack.wait_for_attempt_start(responses[0].json()["id"], attempt=1)

    exit_code = stack.processes["worker1"].stop(signal.SIGTERM)

    assert exit_code == 0
    counts = await stack.counts()
    started = await stack.started_attempts()
    assert counts.get("completed", 0) == len(started) > 0
    stack.start("worker2", "worker")
    await stack.settle(within=30)
    (await stack.report()).assert_invariant()


async def test_sigterm_cancels_attempts_past_the_grace_and_they_are_retried(
    stack: FaultStack,
) -> None:
    stack.overrides["WORKER_SHUTDOWN_GRACE"] = "300ms"
    stack.start_default(workers=1)
    [response] = await stack.submit(1, lambda _: {"ms": 3_000})
    job_id = response.json()["id"]
    await stack.wait_for_attempt_start(job_id, attempt=1)

    assert stack.processes["worker1"].stop(signal.SIGTERM) == 0
    stack.start("worker2", "worker")
    await stack.settle(within=30)

    job = await stack.job(job_id)
    assert job["status"] == "completed"
    assert job["attempt"] == 2
    (await stack.report()).assert_invariant()


async def test_zombie_worker_cannot_overwrite_the_newer_attempt(stack: FaultStack) -> None:
    stack.start_default(workers=1)
    [response] = await stack.submit(1, lambda _: {"ms": 2_000})
    job_id = response.json()["id"]
    await stack.wait_for_attempt_start(job_id, attempt=1)

    stack.pause("worker1")
    stack.start("worker2", "worker")
    await stack.wait_for_attempt_start(job_id, attempt=2)
    stack.resume("worker1")
    await stack.settle(within=30)

    job = await stack.job(job_id)
    assert job["status"] == "completed"
    assert job["attempt"] == 2
    zombie_log = stack.processes["worker1"].log
    noticed = ("lost its lease", "its lease was not confirmed in time", "refused")
    assert any(sign in zombie_log for sign in noticed), zombie_log
    report = await stack.report()
    assert not report.attempts_run_twice
