from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports import Clock, JobLookup
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.webhook_deliveries import WebhookDeliveries
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.webhook_delivery import NoFailedWebhook


class RedeliverWebhooks:
    """Send a job's failed webhook deliveries again, each as a new delivery with a fresh
    budget of attempts; the failed ones stay in its history. On the audit trail."""

    def __init__(
        self, jobs: JobLookup, deliveries: WebhookDeliveries, audit: AuditTrail, clock: Clock
    ) -> None:
        self._jobs = jobs
        self._deliveries = deliveries
        self._audit = audit
        self._clock = clock

    async def __call__(self, job_id: UUID, caller: Caller = ANONYMOUS) -> Job:
        job = await self._jobs.get(job_id)
        if job is None or not caller.grant.covers(job.queue):
            raise JobNotFound(job_id)
        redelivered = await self._deliveries.redeliver_failed(job_id)
        if not redelivered:
            raise NoFailedWebhook(job_id)
        await self._audit.record(
            AuditEntry(
                self._clock.now(),
                caller.name,
                "job.webhook_redeliver",
                (job_id,),
                {"deliveries": redelivered},
                caller.request_id,
            )
        )
        return job
