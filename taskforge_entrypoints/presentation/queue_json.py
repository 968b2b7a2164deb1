"""Queues as JSON: what /v1/queues answers and `taskforge queues ... --json` prints."""

from datetime import datetime

import msgspec

from taskforge_app.list_queues import QueueState, ServedWeight
from taskforge_app.pause_queue import PauseChange


class WeightOut(msgspec.Struct, frozen=True, kw_only=True):
    configuration: str
    """The whole WORKER_QUEUES of these workers, like `high:6,normal:3,low:1`."""
    weight: int | None
    workers: int

    @classmethod
    def of(cls, served: ServedWeight) -> "WeightOut":
        return cls(configuration=served.configuration, weight=served.weight, workers=served.workers)


class QueueOut(msgspec.Struct, frozen=True, kw_only=True):
    queue: str
    depth: int
    running: int
    oldest_ready_age_seconds: float
    paused: bool
    paused_at: datetime | None
    paused_by: str | None
    weights: list[WeightOut]

    @classmethod
    def of(cls, state: QueueState) -> "QueueOut":
        pause = state.pause
        return cls(
            queue=state.queue,
            depth=state.depth,
            running=state.running,
            oldest_ready_age_seconds=round(state.oldest_ready_age_seconds, 3),
            paused=pause is not None,
            paused_at=None if pause is None else pause.paused_at,
            paused_by=None if pause is None else pause.paused_by,
            weights=[WeightOut.of(served) for served in state.weights],
        )


class QueuesOut(msgspec.Struct, frozen=True, kw_only=True):
    queues: list[QueueOut]

    @classmethod
    def of(cls, states: list[QueueState]) -> "QueuesOut":
        return cls(queues=[QueueOut.of(state) for state in states])


class PauseOut(msgspec.Struct, frozen=True, kw_only=True):
    queue: str
    paused: bool
    paused_at: datetime | None
    paused_by: str | None
    changed: bool
    """False when the queue already was as asked: nothing was written or recorded."""

    @classmethod
    def of(cls, change: PauseChange) -> "PauseOut":
        pause = change.pause
        return cls(
            queue=change.queue,
            paused=pause is not None,
            paused_at=None if pause is None else pause.paused_at,
            paused_by=None if pause is None else pause.paused_by,
            changed=change.changed,
        )
