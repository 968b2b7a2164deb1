"""The statuses of a job and the transitions between them (SPEC §2)."""

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    DEAD = "dead"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    def can_become(self, target: "JobStatus") -> bool:
        return target in ALLOWED_TRANSITIONS[self]


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.DEAD})

# A worker may claim a job that is still `pending`: its message can arrive before
# the API marks it `queued` (DESIGN.md point 2).
ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.QUEUED, JobStatus.RUNNING}),
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING}),
    JobStatus.RUNNING: frozenset({JobStatus.COMPLETED, JobStatus.RETRYING, JobStatus.DEAD}),
    JobStatus.RETRYING: frozenset({JobStatus.QUEUED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.DEAD: frozenset(),
}
