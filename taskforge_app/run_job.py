import asyncio
import json
import math
import time

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.job_context import context_of
from taskforge_app.ports import Clock
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents
from taskforge_app.progress_reports import NO_PROGRESS, ProgressSink
from taskforge_domain.errors import RetryableError, TerminalError
from taskforge_domain.job import Job
from taskforge_domain.job_limits import json_text_holds_nul


def describe(exc: BaseException) -> str:
    # PostgreSQL text cannot hold NUL; a message is for people, so replace it visibly.
    text = str(exc).replace("\x00", "\ufffd")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class RunJob:
    """Run one claimed attempt under the timeout and decide its outcome with the domain."""

    def __init__(
        self,
        registry: HandlerRegistry,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents = NO_JOB_EVENTS,
        progress: ProgressSink = NO_PROGRESS,
    ) -> None:
        self._registry = registry
        self._clock = clock
        self._policy = policy
        self._events = events
        self._progress = progress
        self._timeout = policy.timeout.total_seconds()

    @property
    def timeout_seconds(self) -> float:
        return self._timeout

    def cancelled(self, job: Job) -> Job:
        """The outcome of an attempt whose handler was cancelled on request."""
        return job.cancelled_while_running(self._clock.now())

    def timed_out(self, job: Job) -> Job:
        """The outcome of an attempt whose handler its worker stopped at the timeout."""
        return job.fail(self._timed_out_error, self._clock.now(), self._policy.backoff)

    @property
    def _timed_out_error(self) -> str:
        return f"attempt timed out after {self._timeout:g}s"

    async def __call__(self, job: Job, *, timed: bool = True) -> Job:
        """Run the attempt and decide its outcome. With timed=False the caller keeps the
        timeout itself: a worker holds one deadline per claimed batch, as a timer per
        attempt costs more than a no-op handler."""
        handler = self._registry.find(job.job_type)
        if handler is None:
            known = ", ".join(self._registry.job_types)
            error = f"unknown job_type {job.job_type!r}: no handler serves it (known: {known})"
            return job.kill(error, self._clock.now())
        context = context_of(job, self._progress)
        deadline = asyncio.timeout(self._timeout) if timed else None
        started = time.perf_counter()
        try:
            if deadline is None:
                result = await handler(context)
            else:
                async with deadline:
                    result = await handler(context)
        except TerminalError as exc:
            return job.kill(describe(exc), self._clock.now())
        except RetryableError as exc:
            now = self._clock.now()
            return job.fail(describe(exc), now, self._policy.backoff, retry_in=exc.retry_in)
        except TimeoutError as exc:
            timed_out = deadline is not None and deadline.expired()
            error = self._timed_out_error if timed_out else describe(exc)
            return job.fail(error, self._clock.now(), self._policy.backoff)
        except Exception as exc:
            return job.fail(describe(exc), self._clock.now(), self._policy.backoff)
        finally:
            self._events.handled(job.job_type, time.perf_counter() - started)
        if not is_storable_json(result):
            error = (
                "handler returned a result that is not JSON without NUL characters: "
                f"{type(result).__name__}"
            )
            return job.kill(error, self._clock.now())
        return job.complete(result, self._clock.now())


def is_storable_json(value: object) -> bool:
    """JSON the store can hold: finite numbers, and no NUL character in any string."""
    if value is None or isinstance(value, int | bool):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return not json_text_holds_nul(text)
