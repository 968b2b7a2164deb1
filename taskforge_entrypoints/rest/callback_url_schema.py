"""The schema of a job's callback_url as this server's WEBHOOK_ALLOWED_HOSTS has it:
with webhooks off only null is taken; with them on, an http(s) URL on an allowed host."""

import re
from typing import Any

from taskforge_domain.callback_url import CALLBACK_URL_MAX_LENGTH, CallbackRule

# After the host: an optional port, then a path or query of printable ASCII without `#`.
_REST = r"(?:/|\?)[\x21-\x22\x24-\x7e]*"


def _any_case(text: str) -> str:
    """A pattern matching text whatever the case of its letters (JSON Schema's regular
    expressions have no flag for it; the server lower-cases scheme and host)."""
    return "".join(
        f"[{char.lower()}{char.upper()}]" if char.isalpha() else re.escape(char) for char in text
    )


# 0 to 65535, leading zeros allowed, as the server reads a port.
_ANY_PORT = r"0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_ALLOWED = re.compile(r"(?P<host>\[[^\]]+\]|[^:]+)(?::(?P<port>[0-9]+))?")


def _host_pattern(allowed: str) -> str:
    """`host` on any port (or none), `host:port` on that port, leading zeros allowed."""
    found = _ALLOWED.fullmatch(allowed)
    if found is None:
        raise ValueError(f"{allowed!r} is not host or host:port")
    host = _any_case(found["host"])
    return f"{host}:0*{found['port']}" if found["port"] else f"{host}(?::{_ANY_PORT}?)?"


def callback_url_schema(rule: CallbackRule) -> dict[str, Any]:
    if not rule.enabled:
        return {"type": "null", "description": "Webhooks are off: WEBHOOK_ALLOWED_HOSTS is empty."}
    hosts = "|".join(_host_pattern(host) for host in sorted(rule.allowed_hosts))
    url = {
        "type": "string",
        "minLength": 1,
        "maxLength": CALLBACK_URL_MAX_LENGTH,
        "pattern": f"^{_any_case('http')}[sS]?://(?:{hosts})(?:{_REST})?$",
        "description": "An http(s) URL on a host of WEBHOOK_ALLOWED_HOSTS, POSTed the job, "
        "signed, when it ends (completed, dead or cancelled).",
    }
    return {"anyOf": [url, {"type": "null"}]}
