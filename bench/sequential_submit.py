"""One producer submitting one job at a time: through taskforge_client.Client, and through
a bare httpx loop on the same API as the reference for what the client adds."""

import asyncio
import random
import time

import httpx

from bench.bench_stack import BenchStack
from taskforge_client import Client


def _client_rate(base_url: str, payloads: list[dict[str, int]]) -> float:
    with Client(base_url) as client:
        started = time.perf_counter()
        for payload in payloads:
            client.submit("ping", payload)
        return len(payloads) / (time.perf_counter() - started)


def _raw_httpx_rate(base_url: str, payloads: list[dict[str, int]]) -> float:
    with httpx.Client(base_url=base_url) as http:
        started = time.perf_counter()
        for payload in payloads:
            answer = http.post("/v1/jobs", json={"job_type": "ping", "payload": payload})
            if answer.status_code != 202:
                raise RuntimeError(f"POST /v1/jobs answered {answer.status_code}: {answer.text}")
        return len(payloads) / (time.perf_counter() - started)


async def sequential_submit(stack_of: BenchStack, count: int, seed: int) -> tuple[float, float]:
    """Jobs/s of one sequential producer: (taskforge_client, raw httpx), in one stack."""
    chance = random.Random(seed)
    payloads = [{"n": chance.randrange(1_000_000)} for _ in range(count)]
    async with stack_of as stack:
        stack.start_api()
        # A warm-up of both, so neither pays for the API's first requests.
        await asyncio.to_thread(_client_rate, stack.base_url, payloads[:200])
        await asyncio.to_thread(_raw_httpx_rate, stack.base_url, payloads[:200])
        client = await asyncio.to_thread(_client_rate, stack.base_url, payloads)
        raw = await asyncio.to_thread(_raw_httpx_rate, stack.base_url, payloads)
    return client, raw
