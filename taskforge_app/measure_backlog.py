import logging
from dataclasses import dataclass

from taskforge_app.ports import Clock, QueueUnavailable, StoreUnavailable
from taskforge_app.ports.backlog import StoreBacklog, StreamBacklog

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "normal"


@dataclass(frozen=True, slots=True)
class Backlog:
    """The backlog at one moment; a part whose source did not answer is None."""

    queue: str
    stream: str
    depth: int | None
    oldest_ready_age_seconds: float | None
    stream_pending_entries: int | None


class MeasureBacklog:
    """How much work waits, for a metrics scrape: one statement and one Redis command.

    The age of the oldest ready job is 0 while nothing waits; a job that is ready
    since before now (a retry that became due, a submission) ages from its run_at.
    A source that does not answer leaves its part out rather than failing the scrape.
    """

    def __init__(
        self, store: StoreBacklog, stream: StreamBacklog, clock: Clock, queue: str = DEFAULT_QUEUE
    ) -> None:
        self._store = store
        self._stream = stream
        self._clock = clock
        self._queue = queue

    async def __call__(self) -> Backlog:
        depth: int | None = None
        age: float | None = None
        pending: int | None = None
        try:
            waiting = await self._store.waiting_jobs()
        except StoreUnavailable as exc:
            log.debug("backlog: the store did not answer: %s", exc)
        else:
            depth = waiting.count
            age = 0.0
            if waiting.oldest_run_at is not None:
                age = max(0.0, (self._clock.now() - waiting.oldest_run_at).total_seconds())
        try:
            pending = await self._stream.pending_entries()
        except QueueUnavailable as exc:
            log.debug("backlog: the stream did not answer: %s", exc)
        return Backlog(self._queue, self._stream.stream, depth, age, pending)
