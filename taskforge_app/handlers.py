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

A long handler may say how far it has got, for whoever waits on the job (GET
/v1/jobs/{id} shows it, the job's event stream sends it):

    job.report_progress(0.4, "resized 4 of 10")

`fraction` is from 0 to 1 and the message at most PROGRESS_MESSAGE_MAX_LENGTH
characters (a bad value raises TypeError or ValueError). It never blocks: reports are
coalesced and written in the background, the latest one wins, and a new attempt starts
with no progress. A handler that never reports costs nothing extra.
"""

from taskforge_app.handler_registry import Handler, job_handler
from taskforge_app.job_context import JobContext
from taskforge_app.job_log_context import JobLogger
from taskforge_domain.errors import RetryableError, TerminalError
from taskforge_domain.job_progress import PROGRESS_MESSAGE_MAX_LENGTH
from taskforge_domain.retry_delay import MAX_RETRY_IN

__all__ = [
    "MAX_RETRY_IN",
    "PROGRESS_MESSAGE_MAX_LENGTH",
    "Handler",
    "JobContext",
    "JobLogger",
    "RetryableError",
    "TerminalError",
    "job_handler",
]
