"""The job types every Taskforge worker serves (SPEC §3)."""

import logging
from typing import Any

from taskforge_app.handler_registry import HandlerRegistry
from taskforge_domain.errors import RetryableError, TerminalError
from taskforge_domain.job import Job

log = logging.getLogger("taskforge.handlers")


async def ping(job: Job) -> dict[str, Any]:
    message = job.payload.get("message")
    log.info("ping job %s: %s", job.id, message)
    if job.payload.get("fail") is True:
        raise RetryableError("ping was asked to fail (payload.fail is true)")
    return {"message": message}


async def fail(job: Job) -> None:
    raise RetryableError(f"fail job {job.id} fails on every attempt (attempt {job.attempt})")


async def dead(job: Job) -> None:
    raise TerminalError(f"dead job {job.id} cannot succeed")


def register_builtin_handlers(registry: HandlerRegistry) -> None:
    registry.register("ping", ping)
    registry.register("fail", fail)
    registry.register("dead", dead)
