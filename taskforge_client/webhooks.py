"""For a receiver of Taskforge's completion webhooks: check a delivery's signature, and
read the deliveries a job's GET shows."""

import hashlib
import hmac
import time
from datetime import datetime

import msgspec

SIGNATURE_HEADER = "Taskforge-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookAttempt(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    started_at: datetime
    duration_ms: float
    http_status: int | None
    error: str | None


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """One webhook for one terminal status: pending, delivered or failed."""

    id: int
    job_status: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[WebhookAttempt]


class Webhook(msgspec.Struct, frozen=True, kw_only=True):
    deliveries: list[WebhookDelivery]


def verify_signature(
    secret: str | bytes,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether `header` (the Taskforge-Signature value, `t=<unix>,v1=<hex>`) signs this
    exact body with the secret, at a time within tolerance_seconds of now: a captured
    delivery replayed later than that is refused."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
