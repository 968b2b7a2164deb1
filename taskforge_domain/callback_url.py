"""Which URLs a job may ask to be called back at: the rule every way in and the deliverer
apply, so the service can only ever call the hosts an operator allowed."""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from taskforge_domain.errors import DomainError

CALLBACK_URL_MAX_LENGTH = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidCallbackUrl(DomainError):
    """A callback_url the rule refuses; the message says why, without repeating the URL."""


@dataclass(frozen=True, slots=True)
class CallbackRule:
    """The hosts completion webhooks may call: `host` allows it on any port, `host:port`
    on that port only. No host allowed means webhooks are off."""

    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def allowing(cls, hosts: Iterable[str]) -> "CallbackRule":
        return cls(frozenset(host.strip().lower() for host in hosts if host.strip()))

    @property
    def enabled(self) -> bool:
        return bool(self.allowed_hosts)

    def check(self, url: str) -> str:
        """The URL, when a webhook may be sent to it; else InvalidCallbackUrl."""
        if not self.enabled:
            raise InvalidCallbackUrl("completion webhooks are off: WEBHOOK_ALLOWED_HOSTS is empty")
        if len(url) > CALLBACK_URL_MAX_LENGTH:
            raise InvalidCallbackUrl(f"must be at most {CALLBACK_URL_MAX_LENGTH} characters")
        if any(ord(char) <= 0x20 or ord(char) >= 0x7F for char in url):
            raise InvalidCallbackUrl("must be printable ASCII without spaces (percent-encode)")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InvalidCallbackUrl(f"is not a valid URL: {exc}") from None
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise InvalidCallbackUrl("must be an absolute http:// or https:// URL")
        if parts.username is not None or parts.password is not None:
            raise InvalidCallbackUrl("must not carry credentials (user:password@)")
        if parts.fragment:
            raise InvalidCallbackUrl("must not have a #fragment")
        # The allowed list writes an IPv6 address in brackets, as a URL does.
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname.lower()
        effective_port = port if port is not None else _DEFAULT_PORTS[parts.scheme]
        if host not in self.allowed_hosts and f"{host}:{effective_port}" not in self.allowed_hosts:
            raise InvalidCallbackUrl(
                f"host {host}:{effective_port} is not in WEBHOOK_ALLOWED_HOSTS"
            )
        return url


WEBHOOKS_OFF = CallbackRule()
