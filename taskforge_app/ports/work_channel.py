from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from taskforge_domain.job import Job


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message received for a job. message_id is opaque: the consumer acknowledges
    the message with it. job_id is None when the message is malformed. queue is the
    queue whose way it came by."""

    message_id: str
    job_id: UUID | None
    queue: str = "normal"


class WorkPublisher(Protocol):
    """Sends jobs towards the workers serving their queue.

    Raises ChannelUnavailable when the delivery channel cannot be reached.
    """

    async def publish(self, jobs: Sequence[Job]) -> None:
        """One message per job, on the way of the job's queue."""
        ...


class WorkConsumer(Protocol):
    """A worker's side of the delivery channel: read, take over, acknowledge.

    Raises ChannelUnavailable when the delivery channel cannot be reached.
    """

    async def prepare(self) -> None:
        """Create whatever the channel needs before a worker reads (and that it lost)."""
        ...

    async def receive(
        self, consumer: str, queues: Sequence[str], count: int, block_ms: int | None
    ) -> list[Delivery]:
        """Up to count new messages of these queues, taken in this order; with block_ms,
        waits that long for the first one, else answers at once."""
        ...

    async def reclaim_idle(
        self, consumer: str, min_idle_ms: int, count: int, skip: Collection[str] = ()
    ) -> list[Delivery]:
        """Take over messages received by any consumer but unacknowledged for min_idle_ms;
        those of the queues in skip (paused) stay where they are."""
        ...

    async def unacknowledged(self, consumer: str, count: int) -> list[Delivery]:
        """Up to count messages delivered to this consumer and never acknowledged: what
        an earlier run under this name, or a consumer that stopped for good, left."""
        ...

    async def ack(self, message_ids: Sequence[str]) -> None:
        """Mark messages as processed and drop them, so the channel stays bounded."""
        ...


class MessagesInTransit(Protocol):
    """Which jobs the delivery channel holds a message for, for the repair pass.

    Raises ChannelUnavailable when the delivery channel cannot be reached.
    """

    async def job_ids_in_transit(self) -> set[UUID]:
        """The jobs with a message in the channel, delivered to a worker or not."""
        ...


class ConsumerTakeover(Protocol):
    """The channel's bookkeeping of a consumer that stopped for good.

    Raises ChannelUnavailable when the delivery channel cannot be reached.
    """

    async def remove_consumer(self, consumer: str) -> bool:
        """Remove the consumer once it holds no unacknowledged message; whether it is gone."""
        ...
