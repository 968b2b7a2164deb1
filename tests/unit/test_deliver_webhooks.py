"""The deliverer on in-memory fakes: what it sends, what it records, and what it refuses
to send."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

from taskforge_app.deliver_webhooks import DeliverWebhooks, WebhookOptions
from taskforge_app.ports import DeadLetter
from taskforge_app.ports.webhook_deliveries import WebhookHistory
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.callback_url import CallbackRule
from taskforge_domain.job import Job
from taskforge_domain.webhook_delivery import (
    DeliveryPolicy,
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
)
from taskforge_domain.webhook_signature import signature_header
from tests.unit.fakes import START, FakeChannel, FixedClock, InMemoryJobRepository

SECRET = b"a-test-secret-of-some-length"
URL = "https://hooks.example.com/done"


class InMemoryWebhookDeliveries:
    """Deliveries in a dict, claimed and recorded under the adapter's guards."""

    def __init__(self) -> None:
        self.deliveries: dict[int, WebhookDelivery] = {}
        self.attempts: dict[int, list[WebhookAttempt]] = {}
        self.retry_in: list[timedelta | None] = []
        self.lettered: set[int] = set()

    def add(self, job_id: UUID, url: str = URL, status: str = "completed") -> WebhookDelivery:
        delivery = WebhookDelivery(
            len(self.deliveries) + 1, job_id, status, url, DeliveryState.PENDING, 0, START, START
        )
        self.deliveries[delivery.id] = delivery
        return delivery

    async def claim_due(self, limit: int, lease: timedelta) -> list[WebhookDelivery]:
        due = [d for d in self.deliveries.values() if d.state is DeliveryState.PENDING][:limit]
        for delivery in due:
            self.deliveries[delivery.id] = replace(delivery, attempts=delivery.attempts + 1)
        return [self.deliveries[d.id] for d in due]

    async def record_attempt(
        self,
        delivery: WebhookDelivery,
        attempt: WebhookAttempt,
        state: DeliveryState,
        retry_in: timedelta | None,
    ) -> bool:
        stored = self.deliveries[delivery.id]
        if stored.attempts != attempt.attempt or stored.state is not DeliveryState.PENDING:
            return False
        self.deliveries[delivery.id] = replace(stored, state=state)
        self.attempts.setdefault(delivery.id, []).append(attempt)
        self.retry_in.append(retry_in)
        return True

    async def failed_letters(self, limit: int) -> list[DeadLetter]:
        failed = [
            d
            for d in self.deliveries.values()
            if d.state is DeliveryState.FAILED and d.id not in self.lettered
        ]
        return [
            DeadLetter(d.job_id, "ping", d.attempts, "failed", START, webhook_delivery=d.id)
            for d in failed[:limit]
        ]

    async def mark_dead_lettered(self, delivery_ids: Sequence[int]) -> None:
        self.lettered.update(delivery_ids)

    async def of_job(self, job_id: UUID) -> list[WebhookHistory]:
        return [
            WebhookHistory(d, self.attempts.get(d.id, []))
            for d in self.deliveries.values()
            if d.job_id == job_id
        ]


class ScriptedSender:
    """Answers each POST with the next status of its script; remembers what it was sent."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> WebhookAttempt:
        self.sent.append((url, body, dict(headers)))
        status = self.statuses.pop(0)
        return WebhookAttempt(attempt, START, timedelta(milliseconds=1), http_status=status)


class JobIdBodies:
    def body(self, job: Job) -> bytes:
        return f'{{"id":"{job.id}","status":"{job.status.value}"}}'.encode()


class CountingEvents:
    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def attempted(self, outcome: str, seconds: float) -> None:
        self.outcomes.append(outcome)


def a_finished_job(jobs: InMemoryJobRepository) -> Job:
    job = Job.submit(
        job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=START, callback_url=URL
    )
    job = job.start(START, timedelta(seconds=30)).complete(None, START)
    jobs.put(job)
    return job


def deliverer(
    deliveries: InMemoryWebhookDeliveries,
    jobs: InMemoryJobRepository,
    sender: ScriptedSender,
    channel: FakeChannel,
    events: CountingEvents,
    allowed: tuple[str, ...] = ("hooks.example.com",),
    max_attempts: int = 3,
) -> DeliverWebhooks:
    backoff = FullJitterBackoff(timedelta(seconds=1), timedelta(seconds=60), lambda a, b: b)
    options = WebhookOptions(
        rule=CallbackRule.allowing(allowed),
        policy=DeliveryPolicy(max_attempts, backoff),
        secret=SECRET,
        lease=timedelta(seconds=20),
    )
    clock = FixedClock()
    return DeliverWebhooks(deliveries, jobs, sender, JobIdBodies(), channel, clock, options, events)


async def test_each_attempt_is_signed_and_a_failure_is_retried_after_the_backoff() -> None:
    deliveries, jobs, channel, events = (
        InMemoryWebhookDeliveries(),
        InMemoryJobRepository(),
        FakeChannel(),
        CountingEvents(),
    )
    job = a_finished_job(jobs)
    delivery = deliveries.add(job.id)
    sender = ScriptedSender(503, 200)
    deliver = deliverer(deliveries, jobs, sender, channel, events)

    await deliver()
    await deliver()

    assert [url for url, _, _ in sender.sent] == [URL, URL]
    _, body, headers = sender.sent[0]
    assert headers["Taskforge-Signature"] == signature_header(SECRET, int(START.timestamp()), body)
    assert headers["Taskforge-Event"] == "job.completed"
    assert headers["Taskforge-Delivery"] == str(delivery.id)
    assert deliveries.deliveries[delivery.id].state is DeliveryState.DELIVERED
    assert deliveries.retry_in == [timedelta(seconds=2), None]
    assert events.outcomes == ["retried", "delivered"]


async def test_the_last_failed_attempt_fails_the_delivery_onto_the_dead_letter_stream() -> None:
    deliveries, jobs, channel, events = (
        InMemoryWebhookDeliveries(),
        InMemoryJobRepository(),
        FakeChannel(),
        CountingEvents(),
    )
    job = a_finished_job(jobs)
    delivery = deliveries.add(job.id)
    deliver = deliverer(deliveries, jobs, ScriptedSender(500, 500), channel, events, max_attempts=2)

    await deliver()
    await deliver()
    await deliver()

    assert deliveries.deliveries[delivery.id].state is DeliveryState.FAILED
    assert [letter.webhook_delivery for letter in channel.dead_letters] == [delivery.id]
    assert events.outcomes == ["retried", "failed"]


async def test_a_host_no_longer_allowed_is_never_called_and_fails_at_once() -> None:
    deliveries, jobs, channel, events = (
        InMemoryWebhookDeliveries(),
        InMemoryJobRepository(),
        FakeChannel(),
        CountingEvents(),
    )
    job = a_finished_job(jobs)
    delivery = deliveries.add(job.id)
    sender = ScriptedSender()
    deliver = deliverer(deliveries, jobs, sender, channel, events, allowed=("other.example.com",))

    await deliver()

    assert sender.sent == []
    [attempt] = deliveries.attempts[delivery.id]
    assert attempt.error is not None
    assert attempt.error.startswith("callback_url refused at delivery: host hooks.example.com")
    assert deliveries.deliveries[delivery.id].state is DeliveryState.FAILED
    assert len(channel.dead_letters) == 1


async def test_a_deleted_job_fails_its_delivery_without_a_post() -> None:
    deliveries, jobs, channel, events = (
        InMemoryWebhookDeliveries(),
        InMemoryJobRepository(),
        FakeChannel(),
        CountingEvents(),
    )
    delivery = deliveries.add(uuid4())
    sender = ScriptedSender()

    await deliverer(deliveries, jobs, sender, channel, events)()

    assert sender.sent == []
    assert deliveries.deliveries[delivery.id].state is DeliveryState.FAILED
