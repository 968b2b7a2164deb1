from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from taskforge_domain.job_progress import Progress


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """The latest progress of one attempt of a job."""

    job_id: UUID
    attempt: int
    progress: Progress


class ProgressStore(Protocol):
    """Keeps the progress running attempts report.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def write_progress(self, reports: Sequence[ProgressReport]) -> None:
        """Store each report on its job, if that attempt is still the one running."""
        ...
