"""The job types every Taskforge worker serves: ping, fail and dead."""

from typing import Any

from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.handlers import JobContext, RetryableError, TerminalError


async def ping(job: JobContext) -> dict[str, Any]:
    payload = job.payload
    message = payload.get("message")
    job.log.info("ping: %s", message)
    if payload.get("fail") is True:
        raise RetryableError("ping was asked to fail (payload.fail is true)")
    return {"message": message}


async def fail(job: JobContext) -> None:
    raise RetryableError(f"fail job {job.id} fails on every attempt (attempt {job.attempt})")


async def dead(job: JobContext) -> None:
    raise TerminalError(f"dead job {job.id} cannot succeed")


def register_builtin_handlers(registry: HandlerRegistry) -> None:
    registry.register("ping", ping)
    registry.register("fail", fail)
    registry.register("dead", dead)
