from collections.abc import Mapping
from typing import Protocol

from taskforge_domain.webhook_delivery import WebhookAttempt


class WebhookSender(Protocol):
    """POSTs a webhook's body to its receiver once, following no redirect, under a
    timeout; never raises for what the receiver or the network did."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> WebhookAttempt:
        """What this attempt came to: the receiver's status, or the error, and how long."""
        ...
