import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from taskforge_app.ports import ChannelUnavailable, Clock, StoreUnavailable
from taskforge_app.ports.backlog import ChannelBacklog, InFlight, StoreBacklog, WaitingJobs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backlog:
    """One queue's backlog at one moment; a part whose source did not answer is None."""

    queue: str
    depth: int | None
    oldest_ready_age_seconds: float | None
    in_flight: InFlight | None


class MeasureBacklog:
    """How much work waits in each queue, for a metrics scrape: one statement and one
    Redis round trip, whatever the number of queues.

    Every configured queue is reported, at 0 while nothing waits, so a graph shows a
    drained queue rather than a gap; a queue no longer configured is reported while jobs
    still wait in it. The age of the oldest ready job is 0 while nothing waits; a job
    that is ready since before now (a retry that became due, a submission) ages from its
    run_at. A source that does not answer leaves its part out rather than failing the
    scrape.
    """

    def __init__(
        self, store: StoreBacklog, channel: ChannelBacklog, clock: Clock, queues: Sequence[str]
    ) -> None:
        self._store = store
        self._channel = channel
        self._clock = clock
        self._queues = tuple(queues)

    async def __call__(self) -> list[Backlog]:
        waiting: Mapping[str, WaitingJobs] | None = None
        in_flight: dict[str, InFlight] | None = None
        try:
            waiting = await self._store.waiting_jobs()
        except StoreUnavailable as exc:
            log.debug("backlog: the store did not answer: %s", exc)
        try:
            in_flight = await self._channel.in_flight(self._queues)
        except ChannelUnavailable as exc:
            log.debug("backlog: the delivery channel did not answer: %s", exc)
        queues = list(dict.fromkeys([*self._queues, *sorted(waiting or {})]))
        return [self._backlog(queue, waiting, in_flight) for queue in queues]

    def _backlog(
        self,
        queue: str,
        waiting: Mapping[str, WaitingJobs] | None,
        in_flight: dict[str, InFlight] | None,
    ) -> Backlog:
        depth: int | None = None
        age: float | None = None
        if waiting is not None:
            jobs = waiting.get(queue, WaitingJobs(0, None))
            depth, age = jobs.count, 0.0
            if jobs.oldest_run_at is not None:
                age = max(0.0, (self._clock.now() - jobs.oldest_run_at).total_seconds())
        return Backlog(queue, depth, age, None if in_flight is None else in_flight.get(queue))
