"""The completion webhook settings: which hosts may be called (none by default, which
turns webhooks off), the signing secret, and how deliveries are tried."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from taskforge_domain.callback_url import WEBHOOKS_OFF, CallbackRule
from taskforge_entrypoints.config.go_duration import parse_go_duration

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_ALLOWED_HOST = re.compile(
    rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?$"
)
SECRET_MIN_LENGTH = 16


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    rule: CallbackRule = WEBHOOKS_OFF
    secret: bytes = field(default=b"", repr=False)
    timeout: timedelta = timedelta(seconds=10)
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_max: timedelta = timedelta(hours=1)
    interval: timedelta = timedelta(seconds=1)

    @property
    def enabled(self) -> bool:
        return self.rule.enabled


WEBHOOKS_OFF_SETTINGS = WebhookSettings()


def _allowed_hosts(text: str) -> CallbackRule:
    hosts = [part.strip().lower() for part in text.split(",") if part.strip()]
    for host in hosts:
        found = _ALLOWED_HOST.match(host)
        if found is None or (found["port"] and not 0 < int(found["port"]) < 65536):
            raise ValueError(
                f"WEBHOOK_ALLOWED_HOSTS: {host!r} is not a host name or host:port "
                "(an IPv6 address in brackets, like [::1]:8080)"
            )
    return CallbackRule.allowing(hosts)


def _duration(environ: Mapping[str, str], name: str, default: str) -> timedelta:
    raw = environ.get(name, default)
    try:
        value = parse_go_duration(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r}: {exc}") from None
    if value <= timedelta(0):
        raise ValueError(f"{name}={raw!r}: must be a positive duration like 500ms, 5s or 1h")
    return value


def _attempts(environ: Mapping[str, str], name: str, default: str) -> int:
    raw = environ.get(name, default)
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 100:
        raise ValueError(f"{name}={raw!r}: must be a whole number from 1 to 100")
    return int(raw)


def load_webhook_settings(environ: Mapping[str, str]) -> WebhookSettings:
    """Raises ValueError naming the variable; the secret's value is never in a message."""
    rule = _allowed_hosts(environ.get("WEBHOOK_ALLOWED_HOSTS", ""))
    secret = environ.get("WEBHOOK_SECRET", "")
    if rule.enabled and len(secret) < SECRET_MIN_LENGTH:
        raise ValueError(
            f"WEBHOOK_SECRET must be set to at least {SECRET_MIN_LENGTH} characters "
            "when WEBHOOK_ALLOWED_HOSTS is set: every webhook is signed with it"
        )
    settings = WebhookSettings(
        rule=rule,
        secret=secret.encode(),
        timeout=_duration(environ, "WEBHOOK_TIMEOUT", "10s"),
        max_attempts=_attempts(environ, "WEBHOOK_MAX_ATTEMPTS", "8"),
        backoff_base=_duration(environ, "WEBHOOK_BACKOFF_BASE", "5s"),
        backoff_max=_duration(environ, "WEBHOOK_BACKOFF_MAX", "1h"),
        interval=_duration(environ, "WEBHOOK_INTERVAL", "1s"),
    )
    return settings
