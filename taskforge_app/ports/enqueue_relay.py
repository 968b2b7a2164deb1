from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class EnqueueRules:
    """The settings that taskforge_enqueue() applies as POST /v1/jobs does."""

    queues: Sequence[str]
    default_max_attempts: int
    max_payload_bytes: int


class RelayBatch(Protocol):
    """Jobs the store's enqueue function committed, held from every other relay until the
    batch ends; ending without hand_over (an error, a crash) leaves them all to relay."""

    @property
    def taken(self) -> int:
        """How many relay entries the batch holds, published or not."""
        ...

    @property
    def pending(self) -> Sequence[Job]:
        """The batch's jobs still pending, to publish; the others moved on already."""
        ...

    async def hand_over(self, now: datetime) -> None:
        """Record the pending ones queued and release every entry of the batch for good."""
        ...


class EnqueuedJobs(Protocol):
    """The jobs taskforge_enqueue() stored that no relay has published yet.

    Raises StoreUnavailable when the store cannot be reached.
    """

    def take(self, limit: int) -> AbstractAsyncContextManager[RelayBatch]:
        """Up to limit of them, oldest first, skipping those another relay holds."""
        ...

    async def write_rules(self, rules: EnqueueRules) -> None:
        """Make these the rules the enqueue function applies from now on."""
        ...


class EnqueueWakeups(Protocol):
    """Notice that a transaction enqueuing jobs committed.

    Raises StoreUnavailable when the store cannot be reached or the listening stops.
    """

    async def listen(self) -> None:
        """Start listening (again); commits from here on are noticed."""
        ...

    async def wait(self, seconds: float) -> bool:
        """Until a commit was noticed since the last wait (True) or `seconds` passed."""
        ...

    async def close(self) -> None:
        """Stop listening; idempotent."""
        ...
