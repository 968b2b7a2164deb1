"""How a webhook's body is signed, so its receiver can tell it came from Taskforge and
was not altered or replayed long after: HMAC-SHA256 over `<unix time>.<body>`."""

import hashlib
import hmac

SIGNATURE_HEADER = "Taskforge-Signature"


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of the Taskforge-Signature header: `t=<unix time>,v1=<hex>`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
