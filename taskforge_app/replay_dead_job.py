import contextlib
from uuid import UUID

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.job_changes import change_job
from taskforge_app.ports import ChannelUnavailable, Clock, JobRevisions, WorkPublisher
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.submit_jobs import SubmitDefaults
from taskforge_domain.job import Job


class ReplayDeadJob:
    """Send a dead job round again with a fresh attempt budget; its attempt history,
    numbering and replay count stay, so where it came from remains visible."""

    def __init__(
        self,
        jobs: JobRevisions,
        publisher: WorkPublisher,
        clock: Clock,
        defaults: SubmitDefaults,
        audit: AuditTrail,
    ) -> None:
        self._audit = audit
        self._jobs = jobs
        self._publisher = publisher
        self._clock = clock
        self._budget = defaults.max_attempts

    async def __call__(
        self, job_id: UUID, attempts: int | None = None, caller: Caller = ANONYMOUS
    ) -> Job:
        replayed = await self.replay(job_id, attempts, caller)
        await self._audit.record(
            AuditEntry(
                self._clock.now(),
                caller.name,
                "job.replay",
                (job_id,),
                {"attempts": replayed.max_attempts},
                caller.request_id,
            )
        )
        return replayed

    async def replay(self, job_id: UUID, attempts: int | None, caller: Caller) -> Job:
        """The replay alone: a bulk replay records one audit entry for all its jobs."""
        budget = attempts or self._budget
        replayed = await change_job(
            self._jobs, job_id, lambda job: job.replay(self._clock.now(), budget), caller
        )
        # Should Redis be down, the job waits queued and the repair pass publishes it.
        with contextlib.suppress(ChannelUnavailable):
            await self._publisher.publish([replayed])
        return replayed
