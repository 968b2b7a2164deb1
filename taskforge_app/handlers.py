"""Everything a job handler needs, in one import.

    from taskforge_app.handlers import JobContext, RetryableError, TerminalError, job_handler

    @job_handler("resize_image")
    async def resize_image(job: JobContext) -> dict[str, int]:
        ...

`job_handler(job_type)` registers the decorated `async def` with the worker;
the worker imports the modules named in TASKFORGE_HANDLERS at start. The handler
receives a read-only JobContext; what it returns (any JSON value) is the job's
result. `RetryableError` fails the attempt and retries after the backoff, or after
its `retry_in` (at most MAX_RETRY_IN) when given; `TerminalError` makes the job
dead at once. Any other exception, or running past SERVICE_TIMEOUT_SECONDS, is
retried like a RetryableError.
"""

from taskforge_app.handler_registry import Handler, job_handler
from taskforge_app.job_context import JobContext
from taskforge_app.job_log_context import JobLogger
from taskforge_domain.errors import RetryableError, TerminalError
from taskforge_domain.retry_delay import MAX_RETRY_IN

__all__ = [
    "MAX_RETRY_IN",
    "Handler",
    "JobContext",
    "JobLogger",
    "RetryableError",
    "TerminalError",
    "job_handler",
]
