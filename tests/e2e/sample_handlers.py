"""A user's own job types, registered without touching Taskforge (TASKFORGE_HANDLERS)."""

from typing import Any

from taskforge_app.handler_registry import job_handler
from taskforge_domain.job import Job


@job_handler("add")
async def add(job: Job) -> dict[str, Any]:
    return {"sum": sum(job.payload["numbers"])}
