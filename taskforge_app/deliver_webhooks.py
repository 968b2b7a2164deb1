import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from taskforge_app.ports import Clock, DeadLetterPublisher, JobLookup
from taskforge_app.ports.webhook_bodies import WebhookBodies
from taskforge_app.ports.webhook_deliveries import WebhookDeliveries
from taskforge_app.ports.webhook_events import NO_WEBHOOK_EVENTS, WebhookEvents
from taskforge_app.ports.webhook_sender import WebhookSender
from taskforge_domain.callback_url import CallbackRule, InvalidCallbackUrl
from taskforge_domain.webhook_delivery import (
    DeliveryPolicy,
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
)
from taskforge_domain.webhook_signature import SIGNATURE_HEADER, signature_header

log = logging.getLogger("taskforge.webhooks")


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    rule: CallbackRule
    policy: DeliveryPolicy
    secret: bytes = field(repr=False)
    lease: timedelta
    batch: int = 50


class DeliverWebhooks:
    """POST every due completion webhook once, signed, and record what came of it:
    delivered on a 2xx, tried again after a backoff, or failed once its attempts are
    used up, which publishes a dead letter for it. Returns how many were attempted.

    The URL is checked again before each POST, so a host taken off WEBHOOK_ALLOWED_HOSTS
    is never called, whatever jobs named it before."""

    def __init__(
        self,
        deliveries: WebhookDeliveries,
        jobs: JobLookup,
        sender: WebhookSender,
        bodies: WebhookBodies,
        dead_letters: DeadLetterPublisher,
        clock: Clock,
        options: WebhookOptions,
        events: WebhookEvents = NO_WEBHOOK_EVENTS,
    ) -> None:
        self._deliveries = deliveries
        self._jobs = jobs
        self._sender = sender
        self._bodies = bodies
        self._dead_letters = dead_letters
        self._clock = clock
        self._options = options
        self._events = events

    async def __call__(self) -> int:
        due = await self._deliveries.claim_due(self._options.batch, self._options.lease)
        outcomes = await asyncio.gather(
            *(self._deliver(delivery) for delivery in due), return_exceptions=True
        )
        # One delivery the store failed on must not stop the others, nor the dead letters;
        # its lease runs out and the next pass takes it again.
        for delivery, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log.warning("webhook delivery %s not recorded: %s", delivery.id, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
        await self.publish_failed()
        return len(due)

    async def publish_failed(self) -> int:
        """Publish the dead letters of failed deliveries, then record that they were: a
        crash in between publishes one again, never loses it."""
        letters = await self._deliveries.failed_letters(self._options.batch)
        if letters:
            await self._dead_letters.publish_dead(letters)
            await self._deliveries.mark_dead_lettered(
                [letter.webhook_delivery for letter in letters if letter.webhook_delivery]
            )
        return len(letters)

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        attempt, can_retry = await self._attempt(delivery)
        step = self._options.policy.after(attempt, can_retry=can_retry)
        await self._deliveries.record_attempt(delivery, attempt, step.state, step.retry_in)
        outcome = "retried" if step.state is DeliveryState.PENDING else step.state.value
        self._events.attempted(outcome, attempt.duration.total_seconds())
        if step.state is not DeliveryState.DELIVERED:
            log.warning(
                "webhook delivery %d of job %s to %s: attempt %d %s (%s)",
                delivery.id,
                delivery.job_id,
                _host(delivery.url),
                attempt.attempt,
                "failed, will retry" if step.state is DeliveryState.PENDING else "failed for good",
                attempt.error or f"HTTP {attempt.http_status}",
            )

    async def _attempt(self, delivery: WebhookDelivery) -> tuple[WebhookAttempt, bool]:
        now = self._clock.now()
        try:
            self._options.rule.check(delivery.url)
        except InvalidCallbackUrl as exc:
            return self._refused(delivery, f"callback_url refused at delivery: {exc}"), False
        job = await self._jobs.get(delivery.job_id)
        if job is None:
            return self._refused(delivery, "the job was deleted before its webhook was sent"), False
        body = self._bodies.body(job)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(self._options.secret, int(now.timestamp()), body),
            "Taskforge-Delivery": str(delivery.id),
            "Taskforge-Event": f"job.{delivery.job_status}",
        }
        return await self._sender.post(delivery.url, body, headers, delivery.attempts), True

    def _refused(self, delivery: WebhookDelivery, error: str) -> WebhookAttempt:
        return WebhookAttempt(delivery.attempts, self._clock.now(), timedelta(0), error=error)


def _host(url: str) -> str:
    """Where a webhook went, for a log line: a URL's path or query may hold a token."""
    try:
        return urlsplit(url).netloc or "?"
    except ValueError:
        return "?"
