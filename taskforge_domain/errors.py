"""Errors with names: the ones handlers raise and the ones the domain refuses with."""

from datetime import timedelta
from uuid import UUID

from taskforge_domain.retry_delay import checked_retry_in


class RetryableError(Exception):
    """Raised by a handler when the attempt failed but a later attempt may succeed;
    `retry_in` sets the wait before that attempt in place of the backoff."""

    # A class default, so a subclass whose __init__ skips ours still reads as "no wait".
    _retry_in: timedelta | None = None

    def __init__(self, *args: object, retry_in: timedelta | None = None) -> None:
        super().__init__(*args)
        # Checked here, so a bad wait fails at the handler's raise, where its author looks.
        self._retry_in = None if retry_in is None else checked_retry_in(retry_in)

    @property
    def retry_in(self) -> timedelta | None:
        return self._retry_in


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
            # The other job's id stays out: a key limited to some queues must not learn
            # that a job of another queue exists.
            f"Idempotency-Key {key!r} was already used for another job: a different "
            "job_type, queue, payload, max_attempts or callback_url"
        )
        self.key = key
        self.job_id = job_id
