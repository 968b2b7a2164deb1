from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class WorkerIdentity:
    """One run of a worker process: its name is the channel's consumer name, and the
    incarnation tells this run from an earlier one under the same name."""

    name: str
    incarnation: UUID
    host: str
    pid: int
    queues: tuple[str, ...]
    queue_weights: tuple[int, ...] = ()
    """The weight of each of queues, in the same order (WORKER_QUEUES)."""


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    """A worker as the store last heard from it, on the store's clock."""

    name: str
    incarnation: UUID
    host: str
    pid: int
    queues: tuple[str, ...]
    started_at: datetime
    last_seen_at: datetime
    in_flight: int
    retired_at: datetime | None = None
    queue_weights: tuple[int, ...] = ()


class WorkerPresence(Protocol):
    """Which workers are alive, decided from the announcements they make, and what a
    worker that fell silent leaves behind. Times are the store's own, so the hosts'
    clocks need not agree.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def register(self, worker: WorkerIdentity, liveness: timedelta) -> WorkerSeen:
        """Take the worker's name unless a live worker holds it (announced within
        liveness). Taking it cuts the leases of the attempts an earlier incarnation of
        the name still holds: none of them runs any more. The name's holder after
        the call: this worker, or the live one that keeps it."""
        ...

    async def announce(self, worker: WorkerIdentity, in_flight: int) -> bool:
        """This worker is alive and holds in_flight attempts. False when it no longer
        holds its name: it was retired after falling silent, or another took it."""
        ...

    async def live(self, liveness: timedelta) -> list[WorkerSeen]:
        """Workers that announced themselves within liveness, by name."""
        ...

    async def retire_silent(self, liveness: timedelta, cut_leases_to: datetime) -> list[WorkerSeen]:
        """Retire the workers silent for longer than liveness and end the leases of
        their attempts at cut_leases_to at the latest. Every retired worker not yet
        forgotten, newly retired or left over by an earlier pass."""
        ...

    async def forget(self, workers: Sequence[WorkerSeen]) -> None:
        """Drop these retired workers, unless their name was taken again meanwhile."""
        ...

    async def leave(self, worker: WorkerIdentity) -> None:
        """A worker stopping cleanly gives its name up at once."""
        ...
