from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from uuid import UUID

from taskforge_app.ports.dead_letter_channel import DeadLetter
from taskforge_domain.webhook_delivery import DeliveryState, WebhookAttempt, WebhookDelivery


@dataclass(frozen=True, slots=True)
class WebhookHistory:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


class WebhookDeliveries(Protocol):
    """The system of record's completion webhook deliveries and their attempts.

    Raises StoreUnavailable when the store cannot be reached.
    """

    async def claim_due(self, limit: int, lease: timedelta) -> list[WebhookDelivery]:
        """Due pending deliveries no other claimer holds, each with its next attempt
        counted and held for `lease`: one claimer only tries it until the lease ends."""
        ...

    async def record_attempt(
        self,
        delivery: WebhookDelivery,
        attempt: WebhookAttempt,
        state: DeliveryState,
        retry_in: timedelta | None,
    ) -> bool:
        """Record the attempt and the delivery's new state, if the delivery is still at
        that attempt; whether it was."""
        ...

    async def failed_letters(self, limit: int) -> list[DeadLetter]:
        """Dead letters for failed deliveries not yet published on the dead-letter stream."""
        ...

    async def mark_dead_lettered(self, delivery_ids: Sequence[int]) -> None:
        """These failed deliveries' dead letters were published."""
        ...

    async def redeliver_failed(self, job_id: UUID) -> int:
        """A new pending delivery for each failed delivery of the job not sent again yet;
        how many."""
        ...

    async def of_job(self, job_id: UUID) -> list[WebhookHistory]:
        """The job's deliveries, oldest first, each with its attempts."""
        ...
