import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import httpx

from taskforge_app.ports.webhook_sender import WebhookSender
from taskforge_domain.webhook_delivery import WebhookAttempt

# What an error may say of the receiver's answer or the failure: enough to diagnose,
# not a page of HTML in every attempt row.
_ERROR_LIMIT = 500


class HttpxWebhookSender(WebhookSender):
    """Webhooks over one httpx client with keep-alive. It follows no redirect (a 3xx is
    a failed attempt: a redirect could lead to a host nobody allowed) and ignores the
    environment's proxy settings, so the allowed host is the host connected to."""

    def __init__(self, timeout: timedelta) -> None:
        self._http = httpx.AsyncClient(
            timeout=timeout.total_seconds(), follow_redirects=False, trust_env=False
        )

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> WebhookAttempt:
        started_at = datetime.now(UTC)
        began = time.perf_counter()
        try:
            response = await self._http.post(url, content=body, headers=dict(headers))
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
        else:
            duration = timedelta(seconds=time.perf_counter() - began)
            failed = None if response.is_success else f"HTTP {response.status_code}"
            return WebhookAttempt(attempt, started_at, duration, response.status_code, failed)
        duration = timedelta(seconds=time.perf_counter() - began)
        return WebhookAttempt(attempt, started_at, duration, error=error)

    async def close(self) -> None:
        await self._http.aclose()
