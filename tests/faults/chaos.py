"""`make chaos`: the fault scenarios, many times over, with random timing from a printed seed.

    python -m tests.faults.chaos [--seed N] [--rounds N] [--jobs N]

Each round starts a fresh deployment on a private PostgreSQL and Redis, submits
jobs (half on the high or low queue, a fifth delayed by up to 1.5 s, so each
fault also meets weighted reads and delayed promotion), injects one randomly
chosen fault at a random moment, lets the system settle, and counts. The run
fails (exit 1) on any lost, stuck or overlapping job.
"""

import argparse
import asyncio
import random
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from tests.faults.harness import FaultStack, Report, create_database
from tests.faults.private_services import PrivatePostgres, PrivateRedis

Fault = Callable[[FaultStack, random.Random, PrivatePostgres], Awaitable[float]]


async def kill_workers(stack: FaultStack, chance: random.Random, _: PrivatePostgres) -> float:
    for _ in range(chance.randint(1, 4)):
        await asyncio.sleep(chance.uniform(0.1, 1.0))
        victim = chance.choice(["worker1", "worker2"])
        stack.kill(victim)
        stack.start(victim, "worker")
    return 0.0


async def kill_scheduler(stack: FaultStack, chance: random.Random, _: PrivatePostgres) -> float:
    for _ in range(chance.randint(1, 3)):
        await asyncio.sleep(chance.uniform(0.1, 1.0))
        stack.kill("scheduler")
        stack.start("scheduler", "scheduler")
    return 0.0


async def flush_redis(stack: FaultStack, chance: random.Random, _: PrivatePostgres) -> float:
    await asyncio.sleep(chance.uniform(0.1, 1.0))
    stack.redis.flushall()
    return time.time()


async def restart_redis(stack: FaultStack, chance: random.Random, _: PrivatePostgres) -> float:
    await asyncio.sleep(chance.uniform(0.1, 1.0))
    stack.redis.restart()
    return time.time()


async def restart_postgres(stack: FaultStack, chance: random.Random, pg: PrivatePostgres) -> float:
    await asyncio.sleep(chance.uniform(0.1, 1.0))
    pg.stop()
    await asyncio.sleep(chance.uniform(0.2, 2.0))
    pg.start()
    return 0.0


async def sigterm_worker(stack: FaultStack, chance: random.Random, _: PrivatePostgres) -> float:
    await asyncio.sleep(chance.uniform(0.1, 1.0))
    victim = chance.choice(["worker1", "worker2"])
    stack.processes[victim].stop(signal.SIGTERM)
    stack.start(victim, "worker")
    return 0.0


async def freeze_worker(stack: FaultStack, chance: random.Random, _: PrivatePostgres) -> float:
    await asyncio.sleep(chance.uniform(0.1, 1.0))
    zombie = chance.choice(["worker1", "worker2"])
    stack.pause(zombie)
    await asyncio.sleep(chance.uniform(1.5, 3.0))
    stack.resume(zombie)
    return 0.0


FAULTS: dict[str, Fault] = {
    "SIGKILL workers mid-batch": kill_workers,
    "SIGKILL the scheduler": kill_scheduler,
    "Redis FLUSHALL": flush_redis,
    "Redis restart": restart_redis,
    "PostgreSQL restart": restart_postgres,
    "SIGTERM a worker": sigterm_worker,
    "zombie worker (SIGSTOP/SIGCONT)": freeze_worker,
}


@dataclass
class Tally:
    runs: int = 0
    jobs: int = 0
    lost: int = 0
    overlapping: int = 0
    paused_overlaps: int = 0
    stuck: int = 0


def job_fields(chance: random.Random) -> dict[str, object]:
    fields: dict[str, object] = {"queue": chance.choice(["high", "normal", "normal", "low"])}
    if chance.random() < 0.2:
        fields["delay_seconds"] = round(chance.uniform(0.1, 1.5), 3)
    return fields


async def one_round(name: str, jobs: int, chance: random.Random, workdir: Path) -> Report:
    postgres, redis = PrivatePostgres(), PrivateRedis()
    stack = FaultStack(await create_database(postgres.admin_url), redis, workdir)
    try:
        stack.start_default(workers=2)
        payloads = [{"ms": chance.randint(5, 200)} for _ in range(jobs)]
        fields = [job_fields(chance) for _ in range(jobs)]
        submitting = asyncio.create_task(
            stack.submit(jobs, payloads.__getitem__, concurrency=16, fields=fields.__getitem__)
        )
        letters_since = await FAULTS[name](stack, chance, postgres)
        responses = await submitting
        await stack.settle(within=180)
        report = await stack.report(letters_since=letters_since)
        accepted = sum(1 for r in responses if r.status_code in (200, 202))
        report.jobs = max(report.jobs, accepted)
        return report
    finally:
        stack.stop_all()
        redis.stop()
        postgres.destroy()


async def main(seed: int, rounds: int, jobs: int) -> int:
    print(f"chaos: seed {seed}, {rounds} rounds, {jobs} jobs each", flush=True)
    chance = random.Random(seed)
    tallies: dict[str, Tally] = defaultdict(Tally)
    failed = False
    for number in range(1, rounds + 1):
        name = chance.choice(sorted(FAULTS))
        with tempfile.TemporaryDirectory(prefix="taskforge-chaos-") as workdir:
            report = await one_round(name, jobs, chance, Path(workdir))
        tally = tallies[name]
        tally.runs += 1
        tally.jobs += report.jobs
        tally.lost += report.jobs - report.completed - report.dead - report.cancelled
        tally.overlapping += len(report.overlaps) + len(report.attempts_run_twice)
        tally.paused_overlaps += report.paused_overlaps
        tally.stuck += sum(report.stuck.values())
        try:
            report.assert_invariant()
            verdict = "ok"
        except AssertionError as violation:
            failed, verdict = True, f"VIOLATION: {violation}"
        print(f"round {number:3d}  {name:34s} {report.jobs:5d} jobs  {verdict}", flush=True)
    print(
        "\n| scenario | runs | jobs | lost | overlapping attempts | stuck "
        "| paused-worker overlaps |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, t in sorted(tallies.items()):
        print(
            f"| {name} | {t.runs} | {t.jobs} | {t.lost} | {t.overlapping} | {t.stuck} "
            f"| {t.paused_overlaps} |"
        )
    print(f"\nseed {seed}: {'FAILED' if failed else 'all invariants held'}")
    return 1 if failed else 0


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(2**32))
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=400)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.seed, args.rounds, args.jobs)))


if __name__ == "__main__":
    cli()
