"""The Prometheus adapter of WebhookEvents: attempts by outcome, and nothing else labelled."""

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest

from taskforge_adapters.prometheus.webhook_metrics import PrometheusWebhookEvents


def test_attempts_are_counted_by_outcome_and_timed() -> None:
    registry = CollectorRegistry()
    events = PrometheusWebhookEvents(registry)

    events.attempted("retried", 0.02)
    events.attempted("retried", 0.03)
    events.attempted("delivered", 0.01)
    events.attempted("failed", 10.0)

    def attempts(outcome: str) -> float | None:
        return registry.get_sample_value("taskforge_webhook_attempts_total", {"outcome": outcome})

    assert (attempts("delivered"), attempts("retried"), attempts("failed")) == (1.0, 2.0, 1.0)
    count = registry.get_sample_value("taskforge_webhook_attempt_duration_seconds_count")
    assert count == 4.0


def test_no_label_but_the_outcome_is_exported() -> None:
    registry = CollectorRegistry()
    PrometheusWebhookEvents(registry).attempted("delivered", 0.01)

    text = generate_latest(registry).decode()

    labelled = [line for line in text.splitlines() if "{" in line and "webhook_attempts" in line]
    assert labelled
    assert all(line.split("{")[1].startswith('outcome="') for line in labelled)
