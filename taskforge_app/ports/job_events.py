from collections.abc import Sequence
from typing import Protocol

from taskforge_domain.job import Job


class JobEvents(Protocol):
    """Where the use cases report what happened to jobs, for whoever counts it.

    Called on the worker's hot path (`handled` once per attempt, the others once per
    batch), so an implementation must be cheap, must not block and must not raise.
    """

    def submitted(self, jobs: Sequence[Job]) -> None:
        """These jobs were stored as new (a replayed idempotent request is not)."""
        ...

    def handled(self, job_type: str, seconds: float) -> None:
        """A handler of this job type ran for this long, whatever came of it."""
        ...

    def finished(self, jobs: Sequence[Job]) -> None:
        """These jobs' new status was written: completed, retrying, dead or cancelled."""
        ...

    def fenced(self, jobs: Sequence[Job]) -> None:
        """These outcomes were refused: their attempt was no longer the running one."""
        ...


class NoJobEvents:
    """Counts nothing: the default where nobody asked for metrics."""

    def submitted(self, jobs: Sequence[Job]) -> None:
        pass

    def handled(self, job_type: str, seconds: float) -> None:
        pass

    def finished(self, jobs: Sequence[Job]) -> None:
        pass

    def fenced(self, jobs: Sequence[Job]) -> None:
        pass


NO_JOB_EVENTS = NoJobEvents()
