import logging

from taskforge_app.dead_letters import send_dead_letters
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.finish_attempts import finish_attempts
from taskforge_app.ports import AttemptLedger, Clock, DeadLetterPublisher, DeadLetterRecords
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs

log = logging.getLogger(__name__)

_BATCH_SIZE = 500


class ReapExpiredAttempts:
    """End attempts whose lease ran out, or was cut because their worker fell silent, as
    lost: retried at once, or dead when used up (Job.lose_attempt).

    The write is fenced on the lease still being expired, so a worker that renewed
    it in the meantime keeps its attempt. Each ended attempt frees a slot of its type,
    should a limit hold jobs back for one.
    """

    def __init__(
        self,
        ledger: AttemptLedger,
        dead_letter_records: DeadLetterRecords,
        dead_letters: DeadLetterPublisher,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents = NO_JOB_EVENTS,
        release: ReleaseHeldBackJobs | None = None,
    ) -> None:
        self._ledger = ledger
        self._dead_letter_records = dead_letter_records
        self._dead_letters = dead_letters
        self._clock = clock
        self._policy = policy
        self._events = events
        self._release = release

    async def __call__(self) -> int:
        now = self._clock.now()
        expired = await self._ledger.find_expired_leases(now, _BATCH_SIZE)
        if not expired:
            return 0
        outcomes = [
            job.lose_attempt(
                f"attempt {job.attempt} lost: its worker {job.worker or ''} stopped "
                f"(crashed, hung or cut off) before it finished",
                now,
            )
            for job in expired
        ]
        finished = await finish_attempts(
            self._ledger, outcomes, now, self._policy.backoff, lease_expired_before=now
        )
        self._events.finished(finished.written)
        await send_dead_letters(
            self._dead_letter_records, self._dead_letters, finished.written, now
        )
        if finished.written:
            log.warning("recovered %d attempts whose lease expired", len(finished.written))
        if self._release is not None:
            await self._release.after_attempts_ended(finished.written)
        return len(finished.written)
