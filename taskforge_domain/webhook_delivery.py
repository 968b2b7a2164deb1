"""A completion webhook's delivery: one per terminal status a job with a callback_url
reached, tried until its receiver answers 2xx or its attempts are used up."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.errors import DomainError


class NoFailedWebhook(DomainError):
    def __init__(self, job_id: UUID) -> None:
        super().__init__(f"job {job_id} has no failed webhook delivery to send again")
        self.job_id = job_id


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: int
    job_id: UUID
    job_status: str
    """The terminal status that made this delivery: completed, dead or cancelled."""
    url: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """What one POST came to: the receiver's HTTP status, or why there was none."""

    attempt: int
    started_at: datetime
    duration: timedelta
    http_status: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


@dataclass(frozen=True, slots=True)
class NextStep:
    state: DeliveryState
    retry_in: timedelta | None = None


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    max_attempts: int
    backoff: FullJitterBackoff

    def after(self, attempt: WebhookAttempt, *, can_retry: bool = True) -> NextStep:
        """Delivered on a 2xx; else another attempt after the backoff while attempts are
        left, failed when none is (or when no attempt could ever succeed)."""
        if attempt.succeeded:
            return NextStep(DeliveryState.DELIVERED)
        if not can_retry or attempt.attempt >= self.max_attempts:
            return NextStep(DeliveryState.FAILED)
        return NextStep(DeliveryState.PENDING, self.backoff.delay(attempt.attempt))
