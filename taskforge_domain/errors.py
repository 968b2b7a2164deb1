"""Errors with names: the ones handlers raise and the ones the domain refuses with."""

from uuid import UUID


class RetryableError(Exception):
    """Raised by a handler when the attempt failed but a later attempt may succeed."""


class TerminalError(Exception):
    """Raised by a handler when no later attempt can succeed: the job goes dead at once."""


class DomainError(Exception):
    """Base of the errors the domain refuses an operation with."""


class InvalidTransition(DomainError):
    def __init__(self, job_id: UUID, current: str, target: str) -> None:
        super().__init__(f"job {job_id} cannot go from {current} to {target}")
        self.job_id = job_id
        self.current = current
        self.target = target


class JobNotFound(DomainError):
    def __init__(self, job_id: UUID) -> None:
        super().__init__(f"no job with id {job_id}")
        self.job_id = job_id


class IdempotencyKeyReused(DomainError):
    def __init__(self, key: str, job_id: UUID) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for job {job_id} "
            "with a different job_type, payload or max_attempts"
        )
        self.key = key
        self.job_id = job_id
