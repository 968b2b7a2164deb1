from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

ERROR_LINE_LENGTH = 120
"""How much of an error's first line names its group: enough to tell errors apart, short
enough that a traceback's first line does not make every job a group of its own."""


@dataclass(frozen=True, slots=True)
class DeadJobGroup:
    job_type: str
    error: str | None
    """The first line of the jobs' last error, cut at ERROR_LINE_LENGTH; "" when they
    have none; None in a group that counts a whole job type."""
    jobs: int


@dataclass(frozen=True, slots=True)
class DeadJobSummary:
    examined: int
    """The dead jobs the groups count: the most recently dead, at most the window asked."""
    by_type: list[DeadJobGroup]
    by_error: list[DeadJobGroup]


class DeadJobGroups(Protocol):
    """Dead jobs counted by job type and by error, without reading their payloads.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def group_dead_jobs(
        self, window: int, top: int, queues: Collection[str] | None = None
    ) -> DeadJobSummary:
        """The `window` most recently dead jobs (of these queues, if given), grouped: the
        `top` largest groups of each kind, largest first, ties by job type and error."""
        ...
