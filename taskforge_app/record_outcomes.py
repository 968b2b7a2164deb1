import logging
from collections.abc import Sequence

from taskforge_app.claim_jobs import Claimed
from taskforge_app.dead_letters import send_dead_letters
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.finish_attempts import finish_attempts
from taskforge_app.job_log_context import job_context
from taskforge_app.ports import (
    AttemptLedger,
    Clock,
    DeadLetterPublisher,
    DeadLetterRecords,
    WorkConsumer,
)
from taskforge_app.ports.job_events import NO_JOB_EVENTS, JobEvents
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs

log = logging.getLogger(__name__)


class RecordOutcomes:
    """Write finished attempts: the store first, then the dead-letter stream, then the ack.

    Each write is fenced on the attempt the worker claimed, so a worker whose lease
    moved on cannot overwrite a newer attempt; its refused outcome is counted. An
    attempt the limited claim started frees a slot of its type as it ends: a job held
    back for that slot is released at once.
    """

    def __init__(
        self,
        ledger: AttemptLedger,
        dead_letter_records: DeadLetterRecords,
        dead_letters: DeadLetterPublisher,
        consumer: WorkConsumer,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents = NO_JOB_EVENTS,
        release: ReleaseHeldBackJobs | None = None,
    ) -> None:
        self._ledger = ledger
        self._dead_letter_records = dead_letter_records
        self._dead_letters = dead_letters
        self._consumer = consumer
        self._clock = clock
        self._backoff = policy.backoff
        self._events = events
        self._release = release

    async def __call__(self, finished: Sequence[Claimed]) -> None:
        if not finished:
            return
        now = self._clock.now()
        outcome = await finish_attempts(
            self._ledger, [item.job for item in finished], now, self._backoff
        )
        self._events.finished(outcome.written)
        if outcome.fenced:
            self._events.fenced(outcome.fenced)
            for job in outcome.fenced:
                log.warning(
                    "outcome of job %s attempt %d refused: the attempt is no longer running",
                    job.id,
                    job.attempt,
                    extra=job_context(job),
                )
        await send_dead_letters(self._dead_letter_records, self._dead_letters, outcome.written, now)
        await self._consumer.ack([item.message_id for item in finished])
        if self._release is not None:
            limited = {item.job.id for item in finished if item.limited}
            if limited:
                await self._release.after_attempts_ended(
                    [job for job in outcome.written if job.id in limited]
                )
