import logging
from datetime import datetime, timedelta

from taskforge_app.ports import (
    Clock,
    ConsumerTakeover,
    DeliveryRecords,
    WorkConsumer,
    WorkerPresence,
    WorkerSeen,
    WorkPublisher,
)
from taskforge_app.ports.unavailable import ChannelUnavailable, StoreUnavailable
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.worker_liveness import WorkerLiveness

log = logging.getLogger(__name__)

_PAGE = 500
_A_MOMENT = timedelta(microseconds=1)


class RecoverSilentWorkers:
    """Hand what a worker that fell silent held to the live ones, seconds after it
    stopped instead of a whole lease later.

    A worker silent for longer than the liveness is retired: the leases of its attempts
    are cut, so the reaper ends them as lost (the next attempt starts at once, and the
    lost one still counts), and the messages it never acknowledged go back on the
    streams for the jobs still waiting. Then its name and its consumer are dropped.
    Every step is a guarded write or a redelivery that a worker skips when stale, so a
    pass cut short by a crash is simply done again by the next one.

    A scheduler that could not reach the store has not heard the workers either: it
    retires no one until it has reached the store for a whole liveness again.
    """

    def __init__(
        self,
        presence: WorkerPresence,
        reap: ReapExpiredAttempts,
        promote: PromoteDueRetries,
        consumer: WorkConsumer,
        takeover: ConsumerTakeover,
        records: DeliveryRecords,
        publisher: WorkPublisher,
        clock: Clock,
        liveness: WorkerLiveness,
    ) -> None:
        self._presence = presence
        self._reap = reap
        self._promote = promote
        self._consumer = consumer
        self._takeover = takeover
        self._records = records
        self._publisher = publisher
        self._clock = clock
        self._liveness = liveness.limit
        self._store_reached_since: datetime | None = None

    async def __call__(self) -> int:
        """Recover every silent worker; return how many were retired and dropped."""
        now = self._clock.now()
        try:
            if self._store_reached_since is None:
                await self._presence.live(self._liveness)
                self._store_reached_since = now
            if now - self._store_reached_since < self._liveness:
                return 0
            # Just before now: the reaper ends the leases that ran out before its now,
            # and takes these in this very pass even on a clock that has not moved.
            retired = await self._presence.retire_silent(self._liveness, now - _A_MOMENT)
        except StoreUnavailable:
            self._store_reached_since = None
            raise
        if not retired:
            return 0
        for worker in retired:
            log.warning(
                "worker %s (host %s, pid %d) silent since %s: handing its attempts and "
                "messages to the live workers",
                worker.name,
                worker.host,
                worker.pid,
                worker.last_seen_at.isoformat(),
            )
        await self._reap()
        await self._promote()
        dropped = [worker for worker in retired if await self._hand_over_messages(worker)]
        await self._presence.forget(dropped)
        return len(dropped)

    async def _hand_over_messages(self, worker: WorkerSeen) -> bool:
        """Deliver again what the worker received and never acknowledged; whether its
        consumer is gone."""
        try:
            while True:
                left = await self._consumer.unacknowledged(worker.name, _PAGE)
                job_ids = [d.job_id for d in left if d.job_id is not None]
                waiting = await self._records.waiting_among(job_ids) if job_ids else []
                if waiting:
                    # Published before the old messages are acknowledged: a crash between
                    # the two leaves a duplicate, which a worker skips, never a lost job.
                    await self._publisher.publish(waiting)
                await self._consumer.ack([d.message_id for d in left])
                if len(left) < _PAGE:
                    return await self._takeover.remove_consumer(worker.name)
        except ChannelUnavailable as exc:
            # The attempts are recovered already; the messages wait for the next pass.
            log.warning("cannot hand over the messages of worker %s yet: %s", worker.name, exc)
            return False
