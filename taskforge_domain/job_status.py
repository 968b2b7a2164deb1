"""The statuses of a job and the transitions between them (SPEC §2, plus delays,
cancellation and dead-letter replay)."""

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """Finished: no worker or scheduler moves it any more (a dead job may be replayed)."""
        return self in TERMINAL_STATUSES

    def can_become(self, target: "JobStatus") -> bool:
        return target in ALLOWED_TRANSITIONS[self]


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.DEAD, JobStatus.CANCELLED})

# A worker may claim a job that is still `pending`: its message can arrive before
# the API marks it `queued` (DESIGN.md point 2). Only an operator's replay moves
# a job out of `dead`.
ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.CANCELLED}),
    JobStatus.SCHEDULED: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED}),
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.COMPLETED, JobStatus.RETRYING, JobStatus.DEAD, JobStatus.CANCELLED}
    ),
    JobStatus.RETRYING: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.DEAD: frozenset({JobStatus.QUEUED}),
    JobStatus.CANCELLED: frozenset(),
}
