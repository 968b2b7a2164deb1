"""The asyncio client: one keep-alive connection pool (one httpx.AsyncClient) per client."""

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

import httpx

from taskforge_client import calls
from taskforge_client.calls import Call
from taskforge_client.errors import (
    ConnectionFailed,
    ServiceUnavailable,
    TaskforgeError,
    problem_error,
)
from taskforge_client.job_events import (
    RECONNECT_PAUSE,
    RECONNECTS,
    STREAM_READ_TIMEOUT,
    EventStreamReader,
    JobEvent,
    WaitTimedOut,
)
from taskforge_client.jobs import Job, NewJob, SubmitResult
from taskforge_client.retry_policy import RetryPolicy
from taskforge_client.sending import base_headers, connection_failed, may_resend, stream_refused

T = TypeVar("T")


class AsyncClient:
    """Taskforge's HTTP API from asyncio code; `await close()` it, or use `async with`."""

    def __init__(
        self,
        base_url: str = "http://localhost:8080",
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        max_attempts: int = 5,
        retry_budget: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = RetryPolicy(max_attempts=max_attempts, budget=retry_budget)
        self._answer_within = timeout
        self._stream_timeout = httpx.Timeout(timeout, read=STREAM_READ_TIMEOUT)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=base_headers(api_key), timeout=timeout
        )

    def __repr__(self) -> str:
        return f"AsyncClient({self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def aclose(self) -> None:
        await self.close()

    async def submit(
        self,
        job_type: str,
        payload: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        queue: str | None = None,
        max_attempts: int | None = None,
        run_at: datetime | None = None,
        delay: float | timedelta | None = None,
        callback_url: str | None = None,
    ) -> Job:
        """Submit one job; without an idempotency_key the client makes one, so a resend
        after a lost answer finds the job instead of creating another."""
        job = NewJob(
            job_type=job_type,
            payload=None if payload is None else dict(payload),
            idempotency_key=idempotency_key,
            queue=queue,
            max_attempts=max_attempts,
            run_at=run_at,
            delay=delay,
            callback_url=callback_url,
        )
        return await self._send(calls.submit(job))

    async def submit_many(
        self, jobs: Iterable[NewJob | Mapping[str, Any]]
    ) -> builtins.list[SubmitResult]:
        """Submit through the batch endpoint, 1,000 a request; one result per job, in order."""
        return [result for call in calls.submit_chunks(jobs) for result in await self._send(call)]

    async def get(self, job_id: UUID | str) -> Job:
        return await self._send(calls.get(job_id))

    # The contract names it `timeout`, like the sync client's; it bounds the whole wait.
    async def wait(self, job_id: UUID | str, timeout: float) -> Job:  # noqa: ASYNC109
        """The job once it is completed, dead or cancelled, woken by the server (a
        long-poll, repeated in slices of at most 60 s); raises WaitTimedOut, carrying the
        job as it was, when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            job = await self._send(calls.wait_slice(job_id, left, self._answer_within))
            if job.finished:
                return job
            if deadline - time.monotonic() <= 0:
                raise WaitTimedOut(job, timeout)

    async def events(self, job_id: UUID | str) -> AsyncIterator[JobEvent]:
        """The job's changes as they happen, from its state now to its end (the iterator
        stops after a completed, dead or cancelled job); a dropped connection is resumed
        with Last-Event-ID, so no change is lost."""
        path = f"{calls.job_path(job_id)}/events"
        reader = EventStreamReader()
        failures = 0
        while not reader.finished:
            heard = False
            try:
                async with self._http.stream(
                    "GET", path, headers=reader.headers(), timeout=self._stream_timeout
                ) as response:
                    if response.status_code == 204:
                        return  # resumed after the job's last event: nothing is left
                    if response.status_code != 200:
                        await response.aread()
                        stream_refused(response.status_code, response.content, response.headers)
                    async for line in response.aiter_lines():
                        if (event := reader.line(line)) is not None:
                            heard = True
                            yield event
            except (httpx.TransportError, ServiceUnavailable) as exc:
                failure: Exception = exc
            else:
                failure = ConnectionFailed(f"GET {path}: the stream ended before the job did")
            if reader.finished:
                return
            failures = 0 if heard else failures + 1
            if failures > RECONNECTS:
                raise ConnectionFailed(f"GET {path}: {failure}") from failure
            await asyncio.sleep(RECONNECT_PAUSE)

    async def cancel(self, job_id: UUID | str) -> Job:
        return await self._send(calls.cancel(job_id))

    async def replay(self, job_id: UUID | str, *, attempts: int | None = None) -> Job:
        return await self._send(calls.replay(job_id, attempts))

    async def list(
        self,
        *,
        status: str | None = None,
        job_type: str | None = None,
        queue: str | None = None,
        idempotency_key: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        error: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Job]:
        """Every job the filters match, newest first, fetching page after page as needed."""
        params: dict[str, str] | None = calls.list_params(
            {
                "status": status,
                "job_type": job_type,
                "queue": queue,
                "idempotency_key": idempotency_key,
                "created_after": created_after,
                "created_before": created_before,
                "updated_after": updated_after,
                "updated_before": updated_before,
                "error": error,
                "limit": page_size,
            }
        )
        while params is not None:
            jobs, params = await self._send(calls.list_page(params))
            for job in jobs:
                yield job

    async def _send(self, call: Call[T]) -> T:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            failure: TaskforgeError
            cause: httpx.TransportError | None = None
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    content=call.body,
                    params=call.params,
                    headers=call.headers,
                    timeout=httpx.USE_CLIENT_DEFAULT if call.timeout is None else call.timeout,
                )
            except httpx.TransportError as exc:
                failure, cause = connection_failed(call, exc), exc
                if not may_resend(call, exc):
                    raise failure from exc
            else:
                if response.status_code != 503:
                    return calls.answer(
                        call,
                        response.status_code,
                        response.content,
                        response.headers.get("Retry-After"),
                    )
                failure = problem_error(503, response.content, response.headers.get("Retry-After"))
            wait = self.retry.wait_before_next(attempt, time.monotonic() - started, failure)
            if wait is None:
                raise failure from cause
            await asyncio.sleep(wait)
