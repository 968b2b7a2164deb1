from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.ports import Clock, JobRepository
from taskforge_domain.job import Job


class ExtendLeases:
    """Renew the leases of a worker's running attempts; report the ones it no longer holds."""

    def __init__(self, jobs: JobRepository, clock: Clock, policy: ExecutionPolicy) -> None:
        self._jobs = jobs
        self._clock = clock
        self._lease = policy.lease

    async def __call__(self, running: Sequence[Job]) -> set[UUID]:
        if not running:
            return set()
        held = await self._jobs.extend_leases(
            [(job.id, job.attempt) for job in running], self._clock.now(), self._lease
        )
        return {job.id for job in running} - held

    async def release(self, running: Sequence[Job]) -> None:
        """Expire these leases now, so their attempts are recovered without waiting."""
        if running:
            await self._jobs.extend_leases(
                [(job.id, job.attempt) for job in running], self._clock.now(), timedelta(0)
            )
