from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SavedOutcomes:
    """The attempts of one queue that ended in one bucket, as a process counted them."""

    start: datetime
    queue: str
    completed: int
    failed: int
    dead: int


class OutcomeHistory(Protocol):
    """Where the API processes keep the throughput of the last minutes, so that one that
    starts shows the minutes before it."""

    async def load(self, since: datetime) -> list[SavedOutcomes]:
        """Every saved bucket starting at `since` or later."""
        ...

    async def save(self, counts: Sequence[SavedOutcomes], forget_before: datetime) -> None:
        """Keep each count unless a higher one is saved for its bucket and queue already
        (every process hears every outcome, so the highest is the most complete), and
        drop the buckets that start before `forget_before`."""
        ...
