import logging

from taskforge_app.dead_letters import send_dead_letters
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import Clock, JobQueue, JobRepository
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents

log = logging.getLogger(__name__)

_BATCH_SIZE = 500


class ReapExpiredAttempts:
    """Turn attempts whose lease ran out into failed attempts: retried, or dead when used up.

    The write is fenced on the lease still being expired, so a worker that renewed
    it in the meantime keeps its attempt.
    """

    def __init__(
        self,
        jobs: JobRepository,
        queue: JobQueue,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents = NO_JOB_EVENTS,
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self._policy = policy
        self._events = events

    async def __call__(self) -> int:
        now = self._clock.now()
        expired = await self._jobs.find_expired_leases(now, _BATCH_SIZE)
        if not expired:
            return 0
        outcomes = [
            job.fail(
                f"attempt {job.attempt} lost: its worker stopped renewing the lease "
                f"(crashed, hung or cut off)",
                now,
                self._policy.backoff,
            )
            for job in expired
        ]
        written = await self._jobs.record_outcomes(outcomes, lease_expired_before=now)
        self._events.finished([job for job in outcomes if job.id in written])
        await send_dead_letters(
            self._jobs, self._queue, [job for job in outcomes if job.id in written], now
        )
        if written:
            log.warning("recovered %d attempts whose lease expired", len(written))
        return len(written)
