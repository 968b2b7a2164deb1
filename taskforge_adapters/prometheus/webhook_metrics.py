from prometheus_client import CollectorRegistry, Counter, Histogram

from taskforge_app.ports.webhook_events import WebhookEvents

# From a receiver on the same host to WEBHOOK_TIMEOUT's default of 10 s.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

OUTCOMES = ("delivered", "retried", "failed")


class PrometheusWebhookEvents(WebhookEvents):
    """Counts webhook attempts by outcome alone: a URL or host as a label value would be
    unbounded, and may carry a receiver's token."""

    def __init__(self, registry: CollectorRegistry) -> None:
        attempts = Counter(
            "taskforge_webhook_attempts",
            "Completion webhook attempts by this process, by outcome: delivered (2xx), "
            "retried (failed, attempts left) or failed (failed for good, dead-lettered).",
            ["outcome"],
            registry=registry,
        )
        self._attempts = {outcome: attempts.labels(outcome) for outcome in OUTCOMES}
        self._seconds = Histogram(
            "taskforge_webhook_attempt_duration_seconds",
            "Time from sending a completion webhook to its receiver's answer or the error.",
            buckets=WEBHOOK_BUCKETS,
            registry=registry,
        )

    def attempted(self, outcome: str, seconds: float) -> None:
        counter = self._attempts.get(outcome)
        if counter is not None:
            counter.inc()
        self._seconds.observe(seconds)
