"""How fast a SIGKILLed worker's attempts run again, with the product's default timings,
and that a live worker's long attempt is never taken from it meanwhile."""

import asyncio
import statistics
import time

import httpx

from tests.faults.attempt_log import Execution
from tests.faults.harness import FaultStack

# The fault suite's other scenarios shorten every timing; these run with the defaults a
# user gets, which the recovery promise is about.
PRODUCT_TIMINGS = {
    "SERVICE_TIMEOUT_SECONDS": "300",
    "WORKER_LEASE": "30s",
    "RETRY_SCHEDULER_INTERVAL": "5s",
    "BACKOFF_BASE": "5s",
    "BACKOFF_MAX": "15m",
    "REPAIR_INTERVAL": "30s",
    "REPAIR_GRACE": "30s",
    "WORKER_BLOCK_TIMEOUT": "2s",
}
ROUNDS = 5
VICTIMS = 4
RECOVERY_LIMIT = 15.0
LONG_HANDLER_MS = 45_000


def first_start(runs: list[Execution], job_id: str, attempt: int) -> float | None:
    starts = [run.started for run in runs if run.job_id == job_id and run.attempt == attempt]
    return min(starts) if starts else None


async def wait_for_starts(
    stack: FaultStack, job_ids: list[str], attempt: int, within: float
) -> dict[str, float]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        runs = await stack.started_attempts()
        starts = {job_id: first_start(runs, job_id, attempt) for job_id in job_ids}
        if all(start is not None for start in starts.values()):
            return {job_id: start for job_id, start in starts.items() if start is not None}
        await asyncio.sleep(0.05)
    raise AssertionError(f"attempt {attempt} of {job_ids} did not all start\n{stack.logs()}")


async def test_a_killed_workers_jobs_start_again_within_15_seconds_and_a_live_one_keeps_its_own(
    stack: FaultStack,
) -> None:
    stack.overrides.update(PRODUCT_TIMINGS)
    stack.start("api", "api")
    stack.start("scheduler", "scheduler")
    # A live worker on a queue of its own runs one handler for longer than the lease
    # and the liveness together, beside the kills: it must run exactly once.
    stack.start("steady", "worker", WORKER_QUEUES="low:1")
    [long_job] = await stack.submit(
        1, lambda _: {"ms": LONG_HANDLER_MS}, fields=lambda _: {"queue": "low"}
    )
    long_id = long_job.json()["id"]
    await stack.wait_for_attempt_start(long_id, attempt=1)

    victims = [f"victim{round_}-{n}" for round_ in range(ROUNDS + 1) for n in range(VICTIMS)]
    for name in victims[:VICTIMS]:
        stack.start(name, "worker", WORKER_QUEUES="normal:1", WORKER_CONCURRENCY="1")
    recoveries: list[float] = []
    for round_ in range(ROUNDS):
        current = victims[round_ * VICTIMS : (round_ + 1) * VICTIMS]
        following = victims[(round_ + 1) * VICTIMS : (round_ + 2) * VICTIMS]
        accepted = await stack.submit(VICTIMS, lambda _: {"ms": 3_000})
        job_ids = [response.json()["id"] for response in accepted]
        # One job per victim: each serves one attempt at a time.
        await wait_for_starts(stack, job_ids, attempt=1, within=30)
        for name in current:
            stack.kill(name)
        killed = time.time()
        for name in following:
            stack.start(name, "worker", WORKER_QUEUES="normal:1", WORKER_CONCURRENCY="1")
        restarts = await wait_for_starts(stack, job_ids, attempt=2, within=30)
        recoveries += [start - killed for start in restarts.values()]
        await stack.wait_for_status_count("completed", at_least=(round_ + 1) * VICTIMS)

    p50, worst = statistics.median(recoveries), max(recoveries)
    print(
        f"\nrecovery after SIGKILL, default settings: {len(recoveries)} kills, "
        f"p50 {p50:.2f}s, max {worst:.2f}s"
    )
    assert len(recoveries) >= 20
    assert worst < RECOVERY_LIMIT, sorted(recoveries)

    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
        workers = (await client.get("/v1/workers")).json()["workers"]
    names = {worker["consumer"].rsplit("-", 1)[0] for worker in workers}
    # The killed ones dropped off; the last round's fresh workers and the steady one live.
    assert names == {"steady", *victims[ROUNDS * VICTIMS :]}, workers

    await stack.settle(within=LONG_HANDLER_MS / 1000 + 30)
    long_job_now = await stack.job(long_id)
    assert (long_job_now["status"], long_job_now["attempt"]) == ("completed", 1)
    report = await stack.report()
    report.assert_invariant()
    assert report.interrupted >= 20
    scheduler_log = stack.processes["scheduler"].log
    assert "unexpectedly" not in scheduler_log, scheduler_log[-6000:]


async def test_a_worker_and_the_scheduler_killed_together_are_recovered_by_their_successors(
    stack: FaultStack,
) -> None:
    stack.overrides.update(PRODUCT_TIMINGS)
    stack.start("api", "api")
    stack.start("scheduler", "scheduler")
    stack.start("worker1", "worker", WORKER_CONCURRENCY="4")
    accepted = await stack.submit(4, lambda _: {"ms": 2_000})
    job_ids = [response.json()["id"] for response in accepted]
    await wait_for_starts(stack, job_ids, attempt=1, within=30)

    stack.kill("scheduler")
    stack.kill("worker1")
    killed = time.time()
    stack.start("scheduler2", "scheduler")
    stack.start("worker2", "worker")
    restarts = await wait_for_starts(stack, job_ids, attempt=2, within=40)

    # A new scheduler first hears the workers out for a whole liveness before it takes
    # any for gone, so this recovery may take up to one liveness longer.
    assert max(restarts.values()) - killed < RECOVERY_LIMIT + 5, restarts
    await stack.settle(within=30)
    report = await stack.report()
    report.assert_invariant()
    assert report.completed == 4
