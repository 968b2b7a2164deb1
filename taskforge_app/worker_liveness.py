from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class WorkerLiveness:
    """How long a worker may stay silent before it is taken for gone (WORKER_LIVENESS)."""

    limit: timedelta
