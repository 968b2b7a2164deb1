from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.job_changes import change_job
from taskforge_app.ports import Clock, JobRevisions
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus


class CancelJob:
    """Cancel a job: one that is waiting never runs; a running one has its handler
    cancelled by its worker at the next lease renewal, and that attempt ends cancelled.
    A finished job refuses (InvalidTransition). Every cancel goes on the audit trail."""

    def __init__(
        self,
        jobs: JobRevisions,
        clock: Clock,
        audit: AuditTrail,
        events: JobEvents = NO_JOB_EVENTS,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._audit = audit
        self._events = events

    async def __call__(self, job_id: UUID, caller: Caller = ANONYMOUS) -> Job:
        changed = await change_job(self._jobs, job_id, self._cancel, caller)
        if changed.status is JobStatus.CANCELLED:
            self._events.finished([changed])
        await self._audit.record(
            AuditEntry(
                self._clock.now(),
                caller.name,
                "job.cancel",
                (job_id,),
                {"status": changed.status.value},
                caller.request_id,
            )
        )
        return changed

    def _cancel(self, job: Job) -> Job:
        now = self._clock.now()
        return job.request_cancel(now) if job.status is JobStatus.RUNNING else job.cancel(now)
