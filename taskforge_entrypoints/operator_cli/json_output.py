"""What `--json` prints: the API's own JSON shapes, one document per line."""

import sys
from datetime import datetime
from typing import TextIO
from uuid import UUID

import msgspec

from taskforge_app.ports import DeadLetter
from taskforge_entrypoints.presentation.job_json import AttemptOut, JobOut

_encoder = msgspec.json.Encoder()


class JobPageJson(msgspec.Struct, kw_only=True):
    jobs: list[JobOut]
    next_cursor: str | None


class JobDetailJson(msgspec.Struct, kw_only=True):
    job: JobOut
    attempts: list[AttemptOut]


class DeadJobsJson(msgspec.Struct, kw_only=True):
    jobs: list[JobOut]


class DeadLetterJson(msgspec.Struct, kw_only=True):
    message_id: str
    job_id: UUID
    job_type: str
    attempt: int
    last_error: str
    dead_at: datetime

    @classmethod
    def of(cls, message_id: str, letter: DeadLetter) -> "DeadLetterJson":
        return cls(
            message_id=message_id,
            job_id=letter.job_id,
            job_type=letter.job_type,
            attempt=letter.attempt,
            last_error=letter.last_error,
            dead_at=letter.dead_at,
        )


def print_json(document: msgspec.Struct, stream: TextIO | None = None) -> None:
    """One document on one line, flushed at once so a reading pipe sees it."""
    out = stream or sys.stdout
    out.write(_encoder.encode(document).decode() + "\n")
    out.flush()
