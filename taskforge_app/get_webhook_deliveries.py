from uuid import UUID

from taskforge_app.ports.webhook_deliveries import WebhookDeliveries, WebhookHistory


class GetWebhookDeliveries:
    """A job's completion webhook deliveries, each with its attempts."""

    def __init__(self, deliveries: WebhookDeliveries) -> None:
        self._deliveries = deliveries

    async def __call__(self, job_id: UUID) -> list[WebhookHistory]:
        return await self._deliveries.of_job(job_id)
