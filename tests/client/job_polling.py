"""Waiting for a job's status through the client's get(), until a deadline: for the
statuses wait() does not wait for (it waits for a finished job)."""

import asyncio
import time
from uuid import UUID

from taskforge_client import AsyncClient, Client, Job


def poll_until(client: Client, job_id: UUID, statuses: set[str], within: float = 30) -> Job:
    deadline = time.monotonic() + within
    while (job := client.get(job_id)).status not in statuses:
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never reached {sorted(statuses)}: {job}")
        time.sleep(0.05)
    return job


async def apoll_until(
    client: AsyncClient, job_id: UUID, statuses: set[str], within: float = 30
) -> Job:
    deadline = time.monotonic() + within
    while (job := await client.get(job_id)).status not in statuses:
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never reached {sorted(statuses)}: {job}")
        await asyncio.sleep(0.05)
    return job
