"""The statuses of a job, the transitions between them, and the groups of statuses the
service acts on: every store statement and every fake reads its statuses from here."""

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

# A worker may claim a job that is still `pending`: its message can reach a worker
# before the API's write of `queued` commits. A job type's limit holds a waiting job back
# as `scheduled` until a slot or a start is free. Only an operator's replay moves a job
# out of `dead`.
ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset(
        {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SCHEDULED, JobStatus.CANCELLED}
    ),
    JobStatus.SCHEDULED: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED}),
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.SCHEDULED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.COMPLETED, JobStatus.RETRYING, JobStatus.DEAD, JobStatus.CANCELLED}
    ),
    JobStatus.RETRYING: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.DEAD: frozenset({JobStatus.QUEUED}),
    JobStatus.CANCELLED: frozenset(),
}


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Every status a job may leave for `target`."""
    return frozenset(s for s, targets in ALLOWED_TRANSITIONS.items() if target in targets)


CLAIMABLE_STATUSES = sources_of(JobStatus.RUNNING)
"""A worker may start an attempt of a job in one of these."""

WAITING_STATUSES = frozenset({JobStatus.PENDING, JobStatus.QUEUED})
"""Ready to run and waiting for a worker: their message is, or should be, on a stream."""

TIMED_STATUSES = frozenset({JobStatus.RETRYING, JobStatus.SCHEDULED})
"""Waiting for their run_at: the scheduler queues them once it has come."""

FINISHED_ATTEMPT_STATUSES = frozenset(ALLOWED_TRANSITIONS[JobStatus.RUNNING])
"""Where an attempt can end."""
