"""Exponential backoff with full jitter: the delay before a failed job runs again."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

UniformRandom = Callable[[float, float], float]
"""Returns a float drawn uniformly from [low, high], like `random.uniform`."""


@dataclass(frozen=True, slots=True)
class FullJitterBackoff:
    base: timedelta
    cap: timedelta
    uniform: UniformRandom

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap <= timedelta(0):
            raise ValueError("backoff base and cap must be positive")

    def ceiling(self, attempt: int) -> timedelta:
        """The largest delay after `attempt` failed attempts: min(cap, base * 2^attempt)."""
        cap_seconds = self.cap.total_seconds()
        # Past 2^64 the product only overflows; the cap has long been reached.
        exponent = min(max(attempt, 0), 64)
        return timedelta(seconds=min(cap_seconds, self.base.total_seconds() * 2.0**exponent))

    def delay(self, attempt: int) -> timedelta:
        ceiling = self.ceiling(attempt).total_seconds()
        drawn = self.uniform(0.0, ceiling)
        return timedelta(seconds=min(max(drawn, 0.0), ceiling))
