"""A live worker as JSON: what GET /v1/workers answers and `taskforge workers list --json`
prints."""

from datetime import datetime

import msgspec

from taskforge_app.ports import WorkerSeen


class WorkerOut(msgspec.Struct, frozen=True, kw_only=True):
    consumer: str
    host: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    queues: list[str]
    in_flight: int

    @classmethod
    def of(cls, worker: WorkerSeen) -> "WorkerOut":
        return cls(
            consumer=worker.name,
            host=worker.host,
            pid=worker.pid,
            started_at=worker.started_at,
            last_seen_at=worker.last_seen_at,
            queues=list(worker.queues),
            in_flight=worker.in_flight,
        )


class WorkersOut(msgspec.Struct, frozen=True, kw_only=True):
    workers: list[WorkerOut]

    @classmethod
    def of(cls, workers: list[WorkerSeen]) -> "WorkersOut":
        return cls(workers=[WorkerOut.of(worker) for worker in workers])
