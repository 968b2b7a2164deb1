"""What both clients share about sending: their settings, and which failures leave a call
certainly unsent."""

from typing import Any, NoReturn

import httpx

from taskforge_client.calls import Call
from taskforge_client.errors import ConnectionFailed, problem_error

# The request never reached the server: safe to resend whatever the call does.
NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def base_headers(api_key: str | None) -> dict[str, str]:
    headers = {"User-Agent": "taskforge-client", "Accept": "application/json"}
    if api_key is not None:
        if not api_key or not api_key.isprintable() or not api_key.isascii():
            raise ValueError("api_key must be a non-empty printable ASCII string")
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def may_resend(call: Call[Any], exc: httpx.TransportError) -> bool:
    return call.resendable or isinstance(exc, NOTHING_SENT)


def stream_refused(status: int, body: bytes, headers: httpx.Headers) -> NoReturn:
    """Raise the error an event stream's refusal (not a 200) stands for."""
    raise problem_error(status, body, headers.get("Retry-After"))


def connection_failed(call: Call[Any], exc: httpx.TransportError) -> ConnectionFailed:
    # The exception's text names the address and what broke, never the headers.
    return ConnectionFailed(f"{call.method} {call.path}: {type(exc).__name__}: {exc}")
