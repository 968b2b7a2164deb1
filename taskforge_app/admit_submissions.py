from collections.abc import Iterable
from dataclasses import dataclass

from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.ports.submit_quota import SubmitQuota


class SubmitRateExceeded(Exception):
    def __init__(self, per_second: int, retry_after: float, jobs: int = 1) -> None:
        if jobs > per_second:
            detail = (
                f"a batch of {jobs} jobs never fits this key's {per_second} jobs per second; "
                "send smaller batches"
            )
        else:
            detail = f"this key may submit {per_second} jobs per second"
        super().__init__(detail)
        self.per_second = per_second
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SubmitRate:
    per_second: int | None
    """API_KEY_RATE_LIMIT: jobs per second per key, across API processes; None: no limit."""


class AdmitSubmissions:
    """Let a caller's jobs in: every queue they name must be one the key covers, and the
    jobs must fit the key's submit rate."""

    def __init__(self, quota: SubmitQuota, rate: SubmitRate) -> None:
        self._quota = quota
        self._per_second = rate.per_second

    async def __call__(self, caller: Caller, queues: Iterable[str], jobs: int) -> None:
        caller.grant.require_queues(queues)
        if self._per_second is None or caller.name == ANONYMOUS.name or jobs == 0:
            return
        wait = await self._quota.take(caller.name, jobs, self._per_second)
        if wait is not None:
            raise SubmitRateExceeded(self._per_second, wait, jobs)
