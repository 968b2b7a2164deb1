"""A user's own job types, registered without touching Taskforge (TASKFORGE_HANDLERS)."""

import asyncio
from typing import Any

from taskforge_app.handlers import JobContext, job_handler


@job_handler("add")
async def add(job: JobContext) -> dict[str, Any]:
    return {"sum": sum(job.payload["numbers"])}


@job_handler("wait")
async def wait(job: JobContext) -> dict[str, Any]:
    await asyncio.sleep(float(job.payload.get("seconds", 60)))
    return {"waited": job.payload.get("seconds", 60)}
