"""Pause and resume a queue; every change goes on the audit trail."""

from collections.abc import Sequence
from dataclasses import dataclass

from taskforge_app.callers import Caller
from taskforge_app.ports.audit_trail import AuditEntry, AuditTrail
from taskforge_app.ports.clock import Clock
from taskforge_app.ports.queue_pauses import QueuePause, QueuePauses


class QueueNotFound(Exception):
    def __init__(self, queue: str, known: Sequence[str]) -> None:
        super().__init__(f"no queue named {queue!r}; the queues are {', '.join(known)}")
        self.queue = queue


@dataclass(frozen=True, slots=True)
class KnownQueues:
    """The queues jobs may be submitted to (QUEUES): the ones that can be paused."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PauseChange:
    """A queue's pause after the call, and whether the call changed it."""

    queue: str
    pause: QueuePause | None
    changed: bool


class PauseQueue:
    """Pause a queue: it keeps taking jobs, workers stop starting them. Pausing a paused
    queue changes nothing and is not recorded."""

    def __init__(
        self, pauses: QueuePauses, audit: AuditTrail, clock: Clock, known: KnownQueues
    ) -> None:
        self._pauses = pauses
        self._audit = audit
        self._clock = clock
        self._known = known.names

    async def __call__(self, queue: str, caller: Caller) -> PauseChange:
        caller.grant.require_queues([queue])
        if queue not in self._known:
            raise QueueNotFound(queue, self._known)
        paused = await self._pauses.pause(QueuePause(queue, self._clock.now(), caller.name))
        if paused is None:
            current = [p for p in await self._pauses.paused() if p.queue == queue]
            return PauseChange(queue, current[0] if current else None, changed=False)
        details = {"queue": queue}
        await self._audit.record(
            AuditEntry(paused.paused_at, caller.name, "queue.pause", (), details, caller.request_id)
        )
        return PauseChange(queue, paused, changed=True)


class ResumeQueue:
    """Lift a queue's pause: workers start its jobs again, the oldest first. Resuming a
    queue that is not paused changes nothing and is not recorded."""

    def __init__(
        self, pauses: QueuePauses, audit: AuditTrail, clock: Clock, known: KnownQueues
    ) -> None:
        self._pauses = pauses
        self._audit = audit
        self._clock = clock
        self._known = known.names

    async def __call__(self, queue: str, caller: Caller) -> PauseChange:
        caller.grant.require_queues([queue])
        lifted = await self._pauses.resume(queue)
        if lifted is None:
            # A queue dropped from QUEUES while paused can still be resumed.
            if queue not in self._known:
                raise QueueNotFound(queue, self._known)
            return PauseChange(queue, None, changed=False)
        details = {
            "queue": queue,
            "paused_at": lifted.paused_at.isoformat(),
            "paused_by": lifted.paused_by,
        }
        await self._audit.record(
            AuditEntry(
                self._clock.now(), caller.name, "queue.resume", (), details, caller.request_id
            )
        )
        return PauseChange(queue, None, changed=True)
