"""Global limits per queue: the same concurrency and rate as a job type's, over every job
of the queue whatever its type."""

from dataclasses import dataclass
from datetime import datetime

from taskforge_domain.job_type_limit import Rate, TokenBucket, check_limit


@dataclass(frozen=True, slots=True)
class QueueLimit:
    queue: str
    concurrency: int | None
    rate: Rate | None

    def __post_init__(self) -> None:
        check_limit(self.concurrency, self.rate)

    def full_bucket(self, now: datetime) -> TokenBucket | None:
        """The bucket a new rate starts with: a whole period's starts."""
        return None if self.rate is None else TokenBucket(float(self.rate.starts), now)
