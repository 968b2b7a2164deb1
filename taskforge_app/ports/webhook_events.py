from typing import Protocol


class WebhookEvents(Protocol):
    """Where the deliverer reports what came of each webhook attempt, for whoever counts
    it: `delivered`, `retried` or `failed`. Must be cheap and must not raise."""

    def attempted(self, outcome: str, seconds: float) -> None: ...


class NoWebhookEvents:
    """Counts nothing: the default where nobody asked for metrics."""

    def attempted(self, outcome: str, seconds: float) -> None:
        pass


NO_WEBHOOK_EVENTS = NoWebhookEvents()
