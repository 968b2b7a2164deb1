from uuid import UUID

from taskforge_app.ports import JobLookup
from taskforge_app.ports.webhook_deliveries import WebhookDeliveries
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.webhook_delivery import NoFailedWebhook


class RedeliverWebhooks:
    """Send a job's failed webhook deliveries again, each as a new delivery with a fresh
    budget of attempts; the failed ones stay in its history."""

    def __init__(self, jobs: JobLookup, deliveries: WebhookDeliveries) -> None:
        self._jobs = jobs
        self._deliveries = deliveries

    async def __call__(self, job_id: UUID) -> Job:
        job = await self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        if not await self._deliveries.redeliver_failed(job_id):
            raise NoFailedWebhook(job_id)
        return job
