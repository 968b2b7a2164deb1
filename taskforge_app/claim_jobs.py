from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import AttemptLedger, Clock, Delivery, WorkConsumer
from taskforge_app.ports.job_type_limits import LimitedClaims
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs
from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class Claimed:
    message_id: str
    job: Job
    limited: bool = False
    """Started by the limited claim: its attempt's end frees a slot of its type's limit
    or its queue's."""


class ClaimJobs:
    """Start the next attempt of each delivered job, in one statement for the whole batch.

    A message whose job someone else claimed, or that is already finished, is a
    stale duplicate: it is acknowledged and never run. The ledger starts jobs under no
    limit; whatever it leaves goes to the limited claim, which starts what the limits
    allow and holds the rest back in the store, so their messages are stale too. A rate
    that held jobs back has them released when its next starts are due.
    """

    def __init__(
        self,
        ledger: AttemptLedger,
        consumer: WorkConsumer,
        clock: Clock,
        policy: ExecutionPolicy,
        limited: LimitedClaims | None = None,
        release: ReleaseHeldBackJobs | None = None,
    ) -> None:
        self._ledger = ledger
        self._consumer = consumer
        self._clock = clock
        self._lease = policy.lease
        self._limited = limited
        self._release = release

    async def __call__(self, deliveries: Sequence[Delivery], worker: str) -> list[Claimed]:
        wanted = list(dict.fromkeys(d.job_id for d in deliveries if d.job_id is not None))
        now = self._clock.now()
        started = await self._ledger.claim(wanted, now, self._lease, worker) if wanted else []
        limited_ids: set[UUID] = set()
        if self._limited is not None and len(started) < len(wanted):
            left = set(wanted) - {job.id for job in started}
            # Rare on an unlimited drain (a stale duplicate), so its cost stays off the hot path.
            limited = await self._limited.claim_within_limits(
                [job_id for job_id in wanted if job_id in left], now, self._lease, worker
            )
            started += limited.started
            limited_ids = {job.id for job in limited.started}
            if self._release is not None and limited.rate_waits:
                self._release.when_starts_due(limited.rate_waits)
        by_id = {job.id: job for job in started}
        claimed: list[Claimed] = []
        stale: list[str] = []
        for delivery in deliveries:
            job = by_id.pop(delivery.job_id, None) if delivery.job_id else None
            if job is None:
                stale.append(delivery.message_id)
            else:
                claimed.append(Claimed(delivery.message_id, job, job.id in limited_ids))
        if stale:
            await self._consumer.ack(stale)
        return claimed
