"""Each API call as a request to send and a way to read its answer, so the sync and the
async client send the same bytes and read them the same way."""

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

import msgspec

from taskforge_client.errors import TaskforgeError, problem_error
from taskforge_client.jobs import Job, NewJob, SubmitResult

T = TypeVar("T")

BATCH_LIMIT = 1000
"""The most jobs POST /v1/jobs/batch takes in one request."""

JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[bytes], T]
    body: bytes | None = None
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    resendable: bool = True
    """Whether sending it twice does what sending it once does, so a request whose answer
    was lost may be sent again."""
    timeout: float | None = None
    """Seconds to wait for the answer, when not the client's own timeout (a long-poll)."""


class _JobCreate(msgspec.Struct, kw_only=True, omit_defaults=True):
    job_type: str
    payload: dict[str, Any] | None = None
    max_attempts: int | None = None
    run_at: datetime | None = None
    delay_seconds: float | None = None
    queue: str | None = None
    idempotency_key: str | None = None
    callback_url: str | None = None


class _BatchCreate(msgspec.Struct):
    jobs: list[_JobCreate]


class _ItemAnswer(msgspec.Struct, kw_only=True):
    index: int
    status: int
    job: Job | None = None
    error: dict[str, Any] | None = None


class _BatchAnswer(msgspec.Struct, kw_only=True):
    results: list[_ItemAnswer]


class _Page(msgspec.Struct, kw_only=True):
    jobs: list[Job]
    next: str | None


_encode = msgspec.json.Encoder().encode
_read_job = msgspec.json.Decoder(Job).decode
_read_batch = msgspec.json.Decoder(_BatchAnswer).decode
_read_page = msgspec.json.Decoder(_Page).decode


def new_key() -> str:
    """An Idempotency-Key for a job the caller gave none: a resent submit then names the
    job the first one created instead of creating a second."""
    return str(uuid.uuid4())


def _delay_seconds(delay: float | timedelta | None) -> float | None:
    return delay.total_seconds() if isinstance(delay, timedelta) else delay


def _job_fields(job: NewJob, key: str | None) -> _JobCreate:
    if not isinstance(job.job_type, str) or not job.job_type:
        raise ValueError(f"job_type must be a non-empty string, got {job.job_type!r}")
    return _JobCreate(
        job_type=job.job_type,
        payload=job.payload,
        max_attempts=job.max_attempts,
        run_at=job.run_at,
        delay_seconds=_delay_seconds(job.delay),
        queue=job.queue,
        idempotency_key=key,
        callback_url=job.callback_url,
    )


def submit(job: NewJob) -> Call[Job]:
    key = job.idempotency_key or new_key()
    body = _encode(_job_fields(job, None))
    headers = {**JSON, "Idempotency-Key": key}
    return Call("POST", "/v1/jobs", _read_job, body, headers=headers)


def as_new_job(item: NewJob | Mapping[str, Any]) -> NewJob:
    if isinstance(item, NewJob):
        return item
    try:
        return msgspec.convert(item, NewJob)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not a job for submit_many: {exc}") from exc


def submit_chunks(jobs: Iterable[NewJob | Mapping[str, Any]]) -> Iterable[Call[list[SubmitResult]]]:
    """One batch call per 1,000 jobs; each item without a key is given one."""
    chunk: list[_JobCreate] = []
    start = 0
    for job in map(as_new_job, jobs):
        chunk.append(_job_fields(job, job.idempotency_key or new_key()))
        if len(chunk) == BATCH_LIMIT:
            yield _batch(chunk, start)
            start, chunk = start + len(chunk), []
    if chunk:
        yield _batch(chunk, start)


def _batch(chunk: list[_JobCreate], start: int) -> Call[list[SubmitResult]]:
    keys = [job.idempotency_key for job in chunk]

    def read(body: bytes) -> list[SubmitResult]:
        return [
            SubmitResult(
                index=start + item.index,
                status=item.status,
                idempotency_key=keys[item.index],
                job=item.job,
                error=_item_error(item, start),
            )
            for item in _read_batch(body).results
        ]

    return Call("POST", "/v1/jobs/batch", read, _encode(_BatchCreate(chunk)), headers=JSON)


def _item_error(item: _ItemAnswer, start: int) -> TaskforgeError | None:
    if item.error is None:
        return None
    error = problem_error(item.status, item.error)
    # The server counts items within one request; the caller counts them in all it gave.
    local, overall = f"jobs[{item.index}]", f"jobs[{start + item.index}]"
    if error.detail and error.detail.startswith(local):
        error.detail = overall + error.detail.removeprefix(local)
    return error


def job_path(job_id: UUID | str) -> str:
    try:
        return f"/v1/jobs/{job_id if isinstance(job_id, UUID) else UUID(str(job_id))}"
    except ValueError:
        raise ValueError(f"{job_id!r} is not a job id (a UUID)") from None


def get(job_id: UUID | str) -> Call[Job]:
    return Call("GET", job_path(job_id), _read_job)


MAX_WAIT_SECONDS = 60.0
"""The longest one long-poll (GET /v1/jobs/{id}?wait=) may hold its answer."""


def wait_slice(job_id: UUID | str, seconds: float, answer_within: float) -> Call[Job]:
    """One long-poll of at most MAX_WAIT_SECONDS; the answer may take that long."""
    held = min(max(seconds, 0.001), MAX_WAIT_SECONDS)
    params = {"wait": f"{held:.3f}"}
    return Call("GET", job_path(job_id), _read_job, params=params, timeout=held + answer_within)


def cancel(job_id: UUID | str) -> Call[Job]:
    # A second cancel of a job the first one cancelled answers 409, so a lost answer is
    # not resent: the caller decides.
    return Call("POST", f"{job_path(job_id)}/cancel", _read_job, resendable=False)


def replay(job_id: UUID | str, attempts: int | None) -> Call[Job]:
    params = None if attempts is None else {"attempts": str(attempts)}
    return Call("POST", f"{job_path(job_id)}/replay", _read_job, params=params, resendable=False)


def list_page(params: Mapping[str, str]) -> Call[tuple[list[Job], dict[str, str] | None]]:
    """One page; the next page's query comes from the answer's `next` link, read against
    this client's own address (the link's host is the server's HTTP_BASE_URL)."""

    def read(body: bytes) -> tuple[list[Job], dict[str, str] | None]:
        page = _read_page(body)
        following = dict(parse_qsl(urlsplit(page.next).query)) if page.next else None
        return page.jobs, following

    return Call("GET", "/v1/jobs", read, params=params)


def list_params(filters: Mapping[str, object]) -> dict[str, str]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else str(value)
        for name, value in filters.items()
        if value is not None
    }


def answer(call: Call[T], status: int, body: bytes, retry_after: str | None) -> T:
    if status >= 400:
        raise problem_error(status, body, retry_after)
    return call.read(body)
