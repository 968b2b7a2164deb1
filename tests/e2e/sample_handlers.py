"""A user's own job types, registered without touching Taskforge (TASKFORGE_HANDLERS)."""

import asyncio
import time
from datetime import timedelta
from typing import Any

from taskforge_app.handlers import JobContext, RetryableError, job_handler


@job_handler("add")
async def add(job: JobContext) -> dict[str, Any]:
    return {"sum": sum(job.payload["numbers"])}


@job_handler("wait")
async def wait(job: JobContext) -> dict[str, Any]:
    await asyncio.sleep(float(job.payload.get("seconds", 60)))
    return {"waited": job.payload.get("seconds", 60)}


@job_handler("rate_limited")
async def rate_limited(job: JobContext) -> dict[str, Any]:
    """Turned away on its first attempt by an upstream that said when to come back."""
    if job.attempt == 1:
        wait = timedelta(seconds=float(job.payload["retry_in_seconds"]))
        job.log.warning("rate limited; next attempt in %s", wait)
        raise RetryableError("rate limited", retry_in=wait)
    return {"attempt": job.attempt}


@job_handler("flaky")
async def flaky(job: JobContext) -> dict[str, Any]:
    """Fails its first attempt, succeeds on the second."""
    if job.attempt == 1:
        raise RetryableError("first attempts fail")
    return {"attempt": job.attempt}


@job_handler("progress")
async def progress(job: JobContext) -> dict[str, Any]:
    """Reports halfway at once, holds for payload.seconds, then finishes."""
    for step in range(1, 6):
        job.report_progress(step / 10, f"step {step} of 10")  # coalesced: 0.5 wins
    await asyncio.sleep(float(job.payload.get("seconds", 1)))
    return {"done": True}


@job_handler("limited_wait")
async def limited_wait(job: JobContext) -> dict[str, Any]:
    """Holds for payload.seconds; only the limits tests run it, so they may limit its type.
    It reports when its handler began and ended: the job's own timestamps are the claim's
    and the outcome's, taken before the store's turn, so they overlap by milliseconds
    where the runs never did."""
    began = time.time()
    await asyncio.sleep(float(job.payload.get("seconds", 0.2)))
    return {"waited": job.payload.get("seconds", 0.2), "began": began, "ended": time.time()}
