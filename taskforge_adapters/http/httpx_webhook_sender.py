import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import httpx

from taskforge_app.ports.webhook_sender import WebhookSender
from taskforge_domain.webhook_delivery import WebhookAttempt

# What an error may say of the failure: enough to diagnose, not a page in every row.
_ERROR_LIMIT = 500


class HttpxWebhookSender(WebhookSender):
    """Webhooks over one httpx client with keep-alive. It follows no redirect (a 3xx is
    a failed attempt: a redirect could lead to a host nobody allowed), ignores the
    environment's proxy settings, so the allowed host is the host connected to, and
    never reads the receiver's body. `timeout` bounds the whole attempt, not each read,
    so a receiver that answers byte by byte cannot outlast the claim on its delivery."""

    def __init__(self, timeout: timedelta) -> None:
        self._timeout = timeout.total_seconds()
        self._http = httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, trust_env=False
        )

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> WebhookAttempt:
        started_at = datetime.now(UTC)
        began = time.perf_counter()
        status: int | None = None
        error: str | None
        try:
            async with asyncio.timeout(self._timeout):
                request = self._http.build_request("POST", url, content=body, headers=headers)
                response = await self._http.send(request, stream=True)
                await response.aclose()
            status = response.status_code
            error = None if response.is_success else f"HTTP {status}"
        except (TimeoutError, httpx.TimeoutException):
            error = "timed out"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
        duration = timedelta(seconds=time.perf_counter() - began)
        return WebhookAttempt(attempt, started_at, duration, status, error)

    async def close(self) -> None:
        await self._http.aclose()
