import logging

from taskforge_app.dead_letters import send_dead_letters
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.finish_attempts import finish_attempts
from taskforge_app.ports import AttemptLedger, Clock, DeadLetterPublisher, DeadLetterRecords
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
        ledger: AttemptLedger,
        dead_letter_records: DeadLetterRecords,
        dead_letters: DeadLetterPublisher,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents = NO_JOB_EVENTS,
    ) -> None:
        self._ledger = ledger
        self._dead_letter_records = dead_letter_records
        self._dead_letters = dead_letters
        self._clock = clock
        self._policy = policy
        self._events = events

    async def __call__(self) -> int:
        now = self._clock.now()
        expired = await self._ledger.find_expired_leases(now, _BATCH_SIZE)
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
        finished = await finish_attempts(
            self._ledger, outcomes, now, self._policy.backoff, lease_expired_before=now
        )
        self._events.finished(finished.written)
        await send_dead_letters(
            self._dead_letter_records, self._dead_letters, finished.written, now
        )
        if finished.written:
            log.warning("recovered %d attempts whose lease expired", len(finished.written))
        return len(finished.written)
