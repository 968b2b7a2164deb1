from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from taskforge_app.callers import Caller
from taskforge_app.pause_queue import KnownQueues
from taskforge_app.ports import Clock, WorkerPresence, WorkerSeen
from taskforge_app.ports.backlog import StoreBacklog, WaitingJobs
from taskforge_app.ports.queue_pauses import QueuePause, QueuePauses, RunningAttempts
from taskforge_app.worker_liveness import WorkerLiveness


@dataclass(frozen=True, slots=True)
class ServedWeight:
    """The weight one worker configuration (its WORKER_QUEUES) gives a queue, and how
    many live workers run with it. weight is None for a worker that did not say."""

    configuration: str
    weight: int | None
    workers: int


@dataclass(frozen=True, slots=True)
class QueueState:
    queue: str
    depth: int
    running: int
    oldest_ready_age_seconds: float
    pause: QueuePause | None
    weights: tuple[ServedWeight, ...]


class ListQueues:
    """Every queue with what waits in it, what runs, whether it is paused, and the weight
    the live workers serve it with. A queue no longer in QUEUES is listed while jobs
    wait or run in it, or while it is paused; a caller limited to some queues sees those."""

    def __init__(
        self,
        backlog: StoreBacklog,
        running: RunningAttempts,
        pauses: QueuePauses,
        presence: WorkerPresence,
        liveness: WorkerLiveness,
        clock: Clock,
        known: KnownQueues,
    ) -> None:
        self._backlog = backlog
        self._running = running
        self._pauses = pauses
        self._presence = presence
        self._liveness = liveness.limit
        self._clock = clock
        self._known = known.names

    async def __call__(self, caller: Caller) -> list[QueueState]:
        waiting = await self._backlog.waiting_jobs()
        running = await self._running.running_by_queue()
        pauses = {pause.queue: pause for pause in await self._pauses.paused()}
        workers = await self._presence.live(self._liveness)
        queues = dict.fromkeys([*self._known, *sorted({*waiting, *running, *pauses})])
        return [
            self._state(queue, waiting, running, pauses, workers)
            for queue in queues
            if caller.grant.covers(queue)
        ]

    def _state(
        self,
        queue: str,
        waiting: Mapping[str, WaitingJobs],
        running: Mapping[str, int],
        pauses: Mapping[str, QueuePause],
        workers: Sequence[WorkerSeen],
    ) -> QueueState:
        jobs = waiting.get(queue, WaitingJobs(0, None))
        return QueueState(
            queue=queue,
            depth=jobs.count,
            running=running.get(queue, 0),
            oldest_ready_age_seconds=self._age(jobs.oldest_run_at),
            pause=pauses.get(queue),
            weights=served_weights(queue, workers),
        )

    def _age(self, oldest_run_at: datetime | None) -> float:
        if oldest_run_at is None:
            return 0.0
        return max(0.0, (self._clock.now() - oldest_run_at).total_seconds())


def served_weights(queue: str, workers: Sequence[WorkerSeen]) -> tuple[ServedWeight, ...]:
    """Live workers that serve the queue, grouped by their whole WORKER_QUEUES."""
    counts: dict[tuple[str, int | None], int] = {}
    for worker in workers:
        if queue not in worker.queues:
            continue
        weights = dict(zip(worker.queues, worker.queue_weights, strict=False))
        configuration = ",".join(
            name if name not in weights else f"{name}:{weights[name]}" for name in worker.queues
        )
        key = (configuration, weights.get(queue))
        counts[key] = counts.get(key, 0) + 1
    return tuple(
        ServedWeight(config, weight, n)
        for (config, weight), n in sorted(counts.items(), key=lambda item: item[0][0])
    )
