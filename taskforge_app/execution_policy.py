from dataclasses import dataclass
from datetime import timedelta

from taskforge_domain.backoff import FullJitterBackoff


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    """How long an attempt may run, how long a claim lasts unrenewed, when a failure retries.

    A live worker renews its leases, so an attempt may run far longer than the lease;
    only a worker that stops renewing loses it.
    """

    timeout: timedelta
    lease: timedelta
    backoff: FullJitterBackoff
