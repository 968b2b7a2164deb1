"""Held-back jobs come back as soon as their limit may let them start, not at the
scheduler's promote pass: a stack whose pass runs once a minute still drains limited
jobs in seconds, over real HTTP, a real worker and its scheduler."""

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment, wait_for_status
from tests.e2e.test_limits import LIMITED, most_at_once

PROMOTE_EVERY_SECONDS = 60
# Far below one promote pass: only the releases can have queued the held-back jobs.
WITHIN_SECONDS = 15


@pytest_asyncio.fixture(scope="module")
async def slow_promote_env(test_services: Services) -> dict[str, str]:
    settings = FAST_RETRIES | {"RETRY_SCHEDULER_INTERVAL": f"{PROMOTE_EVERY_SECONDS}s"}
    return await stack_environment(test_services, "limit-release-worker", settings)


@pytest.fixture(scope="module")
def slow_promote(slow_promote_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(slow_promote_env) as running:
        yield running


@pytest_asyncio.fixture
async def api(slow_promote: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=slow_promote.base_url, timeout=30) as client:
        yield client


async def drained(
    api: httpx.AsyncClient, count: int, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], float]:
    began = time.monotonic()
    ids = []
    for _ in range(count):
        answer = await api.post("/v1/jobs", json=body)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    finished = [await wait_for_status(api, job_id) for job_id in ids]
    return finished, time.monotonic() - began


async def test_a_freed_slot_releases_the_next_held_back_job_at_once(
    api: httpx.AsyncClient,
) -> None:
    assert (await api.put(f"/v1/limits/{LIMITED}", json={"concurrency": 1})).status_code == 200
    try:
        body = {"job_type": LIMITED, "payload": {"seconds": 0.2}}
        finished, took = await drained(api, 6, body)
    finally:
        await api.delete(f"/v1/limits/{LIMITED}")
    assert {job["status"] for job in finished} == {"completed"}
    assert {job["attempt"] for job in finished} == {1}
    assert most_at_once(finished) == 1
    assert took < WITHIN_SECONDS, f"{took:.1f} s: held-back jobs waited for the promote pass"


async def test_a_freed_queue_slot_releases_the_next_held_back_job_at_once(
    api: httpx.AsyncClient,
) -> None:
    assert (await api.put("/v1/queues/low/limit", json={"concurrency": 1})).status_code == 200
    try:
        body = {"job_type": LIMITED, "payload": {"seconds": 0.2}, "queue": "low"}
        finished, took = await drained(api, 6, body)
    finally:
        await api.delete("/v1/queues/low/limit")
    assert {job["status"] for job in finished} == {"completed"}
    assert most_at_once(finished) == 1
    assert took < WITHIN_SECONDS, f"{took:.1f} s: held-back jobs waited for the promote pass"


async def test_a_rate_releases_its_held_back_jobs_when_its_next_start_is_due(
    api: httpx.AsyncClient,
) -> None:
    rate = {"rate": {"starts": 2, "per": "second"}}
    assert (await api.put(f"/v1/limits/{LIMITED}", json=rate)).status_code == 200
    try:
        body = {"job_type": LIMITED, "payload": {"seconds": 0}}
        finished, took = await drained(api, 8, body)
    finally:
        await api.delete(f"/v1/limits/{LIMITED}")
    assert {job["status"] for job in finished} == {"completed"}
    assert {job["attempt"] for job in finished} == {1}
    # A full bucket of two, then two a second: about three seconds, never a minute.
    assert took < WITHIN_SECONDS, f"{took:.1f} s: held-back jobs waited for the promote pass"
