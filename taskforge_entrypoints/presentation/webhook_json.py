"""A job with its completion webhook deliveries, as GET /v1/jobs/{id} answers it, and
the body a webhook carries."""

from datetime import datetime

import msgspec

from taskforge_app.ports.webhook_bodies import WebhookBodies
from taskforge_app.ports.webhook_deliveries import WebhookHistory
from taskforge_domain.job import Job
from taskforge_domain.webhook_delivery import DeliveryState
from taskforge_entrypoints.presentation.job_json import JobOut


class WebhookAttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    started_at: datetime
    duration_ms: float
    http_status: int | None
    error: str | None


class WebhookDeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    job_status: str
    """The terminal status this delivery reports."""
    state: str
    """pending (being tried), delivered (a 2xx came back) or failed (attempts used up)."""
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[WebhookAttemptOut]

    @classmethod
    def of(cls, history: WebhookHistory) -> "WebhookDeliveryOut":
        delivery = history.delivery
        pending = delivery.state is DeliveryState.PENDING
        return cls(
            id=delivery.id,
            job_status=delivery.job_status,
            state=delivery.state.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            created_at=delivery.created_at,
            finished_at=delivery.finished_at,
            attempt_log=[
                WebhookAttemptOut(
                    attempt=attempt.attempt,
                    started_at=attempt.started_at,
                    duration_ms=round(attempt.duration.total_seconds() * 1000, 3),
                    http_status=attempt.http_status,
                    error=attempt.error,
                )
                for attempt in history.attempts
            ],
        )


class WebhookOut(msgspec.Struct, frozen=True, kw_only=True):
    deliveries: list[WebhookDeliveryOut]


class JobWithWebhookOut(JobOut, frozen=True, kw_only=True):
    """A job, and when it has a callback_url, what became of its webhooks (else null)."""

    webhook: WebhookOut | None

    @classmethod
    def with_deliveries(
        cls, job: Job, base_url: str, deliveries: list[WebhookHistory]
    ) -> "JobWithWebhookOut":
        fields = msgspec.structs.asdict(JobOut.of(job, base_url))
        webhook = None
        if job.callback_url is not None:
            webhook = WebhookOut(deliveries=[WebhookDeliveryOut.of(d) for d in deliveries])
        return cls(**fields, webhook=webhook)


class JobWebhookBodies(WebhookBodies):
    """The job as GET /v1/jobs/{id} shows it, less `webhook`: the body a receiver gets
    does not change with the delivery's own attempts."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._encode = msgspec.json.Encoder().encode

    def body(self, job: Job) -> bytes:
        return self._encode(JobOut.of(job, self._base_url))
