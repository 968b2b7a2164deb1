"""A user's own job types, registered without touching Taskforge (TASKFORGE_HANDLERS)."""

import asyncio
from typing import Any

from taskforge_app.handler_registry import job_handler
from taskforge_domain.job import Job


@job_handler("add")
async def add(job: Job) -> dict[str, Any]:
    return {"sum": sum(job.payload["numbers"])}


@job_handler("wait")
async def wait(job: Job) -> dict[str, Any]:
    await asyncio.sleep(float(job.payload.get("seconds", 60)))
    return {"waited": job.payload.get("seconds", 60)}
