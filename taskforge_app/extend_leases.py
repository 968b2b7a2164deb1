from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import AttemptLedger, Clock
from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class LeaseCheck:
    lost: set[UUID]
    cancel_requested: set[UUID]


class ExtendLeases:
    """Renew the leases of a worker's running attempts; report the ones it no longer holds
    and the ones an operator asked to cancel."""

    def __init__(self, ledger: AttemptLedger, clock: Clock, policy: ExecutionPolicy) -> None:
        self._ledger = ledger
        self._clock = clock
        self._lease = policy.lease

    async def __call__(self, running: Sequence[Job]) -> LeaseCheck:
        if not running:
            return LeaseCheck(lost=set(), cancel_requested=set())
        renewal = await self._ledger.extend_leases(
            [(job.id, job.attempt) for job in running], self._clock.now(), self._lease
        )
        return LeaseCheck(
            lost={job.id for job in running} - renewal.held,
            cancel_requested=renewal.cancel_requested,
        )

    async def release(self, running: Sequence[Job]) -> None:
        """Expire these leases now, so their attempts are recovered without waiting."""
        if running:
            await self._ledger.extend_leases(
                [(job.id, job.attempt) for job in running], self._clock.now(), timedelta(0)
            )
