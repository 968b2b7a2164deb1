"""One producer submitting one job at a time: through taskforge_client.Client, and through
a bare httpx loop on the same API as the reference for what the client adds."""

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.bench_stack import BenchStack
from taskforge_client import Client

ROUNDS = 5


@dataclass(frozen=True)
class Producer:
    jobs_per_second: float
    cpu_us_per_job: float
    """The producer thread's own CPU time per job: what the client costs, whatever the
    server and the machine's other load cost."""


def _timed(submit: Callable[[dict[str, int]], object], payloads: list[dict[str, int]]) -> Producer:
    started, cpu = time.perf_counter(), time.thread_time()
    for payload in payloads:
        submit(payload)
    elapsed, spent = time.perf_counter() - started, time.thread_time() - cpu
    return Producer(len(payloads) / elapsed, spent / len(payloads) * 1e6)


def _through_client(base_url: str, payloads: list[dict[str, int]]) -> Producer:
    with Client(base_url) as client:
        return _timed(lambda payload: client.submit("ping", payload), payloads)


def _through_raw_httpx(base_url: str, payloads: list[dict[str, int]]) -> Producer:
    def submit(payload: dict[str, int]) -> None:
        answer = http.post("/v1/jobs", json={"job_type": "ping", "payload": payload})
        if answer.status_code != 202:
            raise RuntimeError(f"POST /v1/jobs answered {answer.status_code}: {answer.text}")

    with httpx.Client(base_url=base_url) as http:
        return _timed(submit, payloads)


def _median(rounds: list[Producer]) -> Producer:
    return Producer(
        statistics.median(r.jobs_per_second for r in rounds),
        statistics.median(r.cpu_us_per_job for r in rounds),
    )


async def sequential_submit(
    stack_of: BenchStack, count: int, seed: int
) -> tuple[Producer, Producer]:
    """One sequential producer: (taskforge_client, raw httpx), against one API.

    The two take turns in rounds and each reports its median round, so a neighbour's
    load on this shared machine lands on both rather than on whichever ran during it.
    """
    chance = random.Random(seed)
    payloads = [{"n": chance.randrange(1_000_000)} for _ in range(max(count // ROUNDS, 1))]
    client: list[Producer] = []
    raw: list[Producer] = []
    async with stack_of as stack:
        stack.start_api()
        # A warm-up of both, so neither pays for the API's first requests.
        await asyncio.to_thread(_through_client, stack.base_url, payloads[:200])
        await asyncio.to_thread(_through_raw_httpx, stack.base_url, payloads[:200])
        for _ in range(ROUNDS):
            client.append(await asyncio.to_thread(_through_client, stack.base_url, payloads))
            raw.append(await asyncio.to_thread(_through_raw_httpx, stack.base_url, payloads))
    return _median(client), _median(raw)
