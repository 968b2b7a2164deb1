import asyncio
from typing import NamedTuple, Protocol
from uuid import UUID


class JobChange(NamedTuple):
    """The store announced that a job reached this revision, in this status."""

    job_id: UUID
    revision: int
    status: str


class JobChangeSink(Protocol):
    """Who hears the store's announcements of changed jobs."""

    def changed(self, changes: list[JobChange]) -> None:
        """These jobs changed (called on the event loop, must not block)."""
        ...

    def resync(self) -> None:
        """Announcements may have been missed (the feed was down): every job may have changed."""
        ...


class OutcomeCount(NamedTuple):
    """One outcome write ended this many attempts of this queue in this status."""

    queue: str
    status: str
    attempts: int


class OutcomeSink(Protocol):
    """Who hears how many attempts each outcome write ended, per queue and status."""

    def finished(self, counts: list[OutcomeCount]) -> None:
        """Attempts ended (called on the event loop, must not block)."""
        ...


class JobChangeFeed(Protocol):
    """The store's announcements of changed jobs, on one connection that outlives outages."""

    async def follow(
        self, sink: JobChangeSink, stop: asyncio.Event, outcomes: OutcomeSink | None = None
    ) -> None:
        """Hand every announcement to `sink`, and every outcome write's counts to
        `outcomes`, until `stop` is set, reconnecting after outages (and telling the sink
        to resync each time it connects)."""
        ...
