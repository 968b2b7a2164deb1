from dataclasses import dataclass
from datetime import timedelta

from taskforge_domain.backoff import FullJitterBackoff


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    """How long an attempt may run, how long its claim lasts, and when a failure retries."""

    timeout: timedelta
    lease_grace: timedelta
    backoff: FullJitterBackoff

    @property
    def lease(self) -> timedelta:
        return self.timeout + self.lease_grace
