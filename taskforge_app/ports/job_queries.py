from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from taskforge_app.ports.payload_search import PayloadEquals, texts_within
from taskforge_domain.job_limits import unstorable_text
from taskforge_domain.job_status import JobStatus


class UnsearchableText(ValueError):
    """A filter's text that the store could not compare, named by the query's field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JobQuery:
    """Which jobs to list, newest first, and where the previous page ended."""

    limit: int
    status: JobStatus | None = None
    job_type: str | None = None
    queue: str | None = None
    queues: frozenset[str] | None = None
    """Only jobs of these queues: what a queue-limited API key sees."""
    idempotency_key: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    error_contains: str | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    payload_contains: Mapping[str, Any] | None = None
    """Only jobs whose payload contains this JSON fragment (jsonb containment)."""
    payload_equals: PayloadEquals | None = None
    before: tuple[datetime, UUID] | None = None

    def __post_init__(self) -> None:
        # Checked as the query is made, so no way in (REST, the CLI, a bulk replay) can
        # hand the store a text it fails on half-way through a statement.
        for field in ("job_type", "queue", "idempotency_key", "error_contains"):
            text = getattr(self, field)
            if text is not None and (reason := unstorable_text(text)):
                raise UnsearchableText(field, reason)
        equals = self.payload_equals
        payload_texts = {
            "payload_contains": texts_within(self.payload_contains),
            "payload_equals": texts_within([*equals.path, equals.text] if equals else []),
        }
        for field, texts in payload_texts.items():
            for text in texts:
                if reason := unstorable_text(text):
                    raise UnsearchableText(field, reason)

    @property
    def searches_payload(self) -> bool:
        return self.payload_contains is not None or self.payload_equals is not None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One finished attempt of a job, as the attempt history records it."""

    attempt: int
    worker: str | None
    started_at: datetime | None
    finished_at: datetime
    outcome: str
    error: str | None


@dataclass(frozen=True, slots=True)
class LeaseRenewal:
    held: set[UUID]
    cancel_requested: set[UUID]
