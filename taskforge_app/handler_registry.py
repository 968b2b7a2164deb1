"""Where job types meet the code that runs them.

A handler is a plain async callable that takes a JobContext; what it returns (any
JSON value) becomes the job's result. It may raise RetryableError or TerminalError.
Handler authors import all of it from taskforge_app.handlers.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from taskforge_app.job_context import JobContext

Handler = Callable[[JobContext], Awaitable[Any]]


class DuplicateJobType(ValueError):
    def __init__(self, job_type: str) -> None:
        super().__init__(f"job_type {job_type!r} already has a handler")


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, job_type: str, handler: Handler) -> None:
        if self._handlers.get(job_type, handler) is not handler:
            raise DuplicateJobType(job_type)
        self._handlers[job_type] = handler

    def handler(self, job_type: str) -> Callable[[Handler], Handler]:
        """Decorator: `@handlers.handler("resize_image")` on an `async def`."""

        def decorate(handler: Handler) -> Handler:
            self.register(job_type, handler)
            return handler

        return decorate

    def find(self, job_type: str) -> Handler | None:
        return self._handlers.get(job_type)

    @property
    def job_types(self) -> list[str]:
        return sorted(self._handlers)


handlers = HandlerRegistry()
"""The registry the worker runs: modules named in TASKFORGE_HANDLERS decorate into it."""

job_handler = handlers.handler
