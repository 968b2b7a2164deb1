"""When a call that got no answer, or a 503, is sent again: bounded by a number of
attempts and by a time budget, waiting what Retry-After asks."""

import random
from dataclasses import dataclass

from taskforge_client.errors import ServiceUnavailable, TaskforgeError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    """Sends of one call, the first included; 1 never retries."""
    budget: float = 30.0
    """Seconds from the first send after which no retry starts."""
    backoff: float = 0.1
    """First wait after a connection failure, doubled each time (full jitter)."""
    max_backoff: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.budget < 0:
            raise ValueError(f"retry_budget must be 0 or more seconds, got {self.budget}")

    def wait_before_next(
        self, attempt: int, elapsed: float, failure: TaskforgeError
    ) -> float | None:
        """Seconds to wait before sending again, or None to give up with `failure`."""
        if attempt >= self.max_attempts:
            return None
        if isinstance(failure, ServiceUnavailable) and failure.retry_after is not None:
            wait = failure.retry_after
        else:
            wait = random.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))
        return wait if elapsed + wait <= self.budget else None
