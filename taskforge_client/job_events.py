"""A job's event stream (GET /v1/jobs/{id}/events) as typed events, and the long-poll's
timeout: what both clients' wait() and events() share."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import msgspec

from taskforge_client.jobs import Job

RECONNECTS = 5
"""Consecutive failed reconnections after which events() gives up."""
RECONNECT_PAUSE = 0.5
STREAM_READ_TIMEOUT = 60.0
"""Seconds of silence after which a stream counts as dropped; the server sends a
heartbeat every HTTP_EVENTS_HEARTBEAT (15 s by default)."""


class WaitTimedOut(TimeoutError):
    """wait() ran out of time before the job finished; `job` is the job as it was then."""

    def __init__(self, job: Job, timeout: float) -> None:
        super().__init__(f"job {job.id} is still {job.status} after {timeout:g}s")
        self.job = job


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    worker: str | None
    started_at: datetime | None
    finished_at: datetime
    outcome: str
    error: str | None


@dataclass(frozen=True, slots=True)
class JobChanged:
    """The job as it was after a change of its status or progress (the first event is
    the job as it was when the stream began)."""

    job: Job


@dataclass(frozen=True, slots=True)
class AttemptFinished:
    """An attempt from the job's history, sent after a reconnection that may have missed
    its end; the same attempt may come more than once."""

    job_id: UUID
    attempt: Attempt


JobEvent = JobChanged | AttemptFinished


class _AttemptEvent(msgspec.Struct, frozen=True):
    job_id: UUID
    attempt: Attempt


_read_job = msgspec.json.Decoder(Job).decode
_read_attempt = msgspec.json.Decoder(_AttemptEvent).decode


@dataclass
class EventStreamReader:
    """Reads text/event-stream lines into events; keeps the last id for resuming."""

    last_event_id: str | None = None
    finished: bool = False
    _fields: dict[str, str] = field(default_factory=dict)
    _data: list[str] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    def line(self, text: str) -> JobEvent | None:
        """The event this line completes, if it does."""
        if text.startswith(":"):
            return None
        if text:
            name, _, value = text.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                self._data.append(value)
            else:
                self._fields[name] = value
            return None
        fields, data = self._fields, "\n".join(self._data)
        self._fields, self._data = {}, []
        if "id" in fields:
            self.last_event_id = fields["id"]
        kind = fields.get("event")
        if kind == "job":
            job = _read_job(data)
            self.finished = job.finished
            return JobChanged(job)
        if kind == "attempt":
            attempt = _read_attempt(data)
            return AttemptFinished(attempt.job_id, attempt.attempt)
        return None
