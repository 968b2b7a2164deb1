import re
from datetime import timedelta

import pytest

from taskforge_entrypoints.config.settings import ConfigError, load_settings

SECRET = "sixteen-chars-or-more"


def test_webhooks_are_off_by_default() -> None:
    webhooks = load_settings({}).webhooks

    assert not webhooks.enabled
    assert webhooks.secret == b""


def test_allowed_hosts_and_the_delivery_settings_are_read() -> None:
    webhooks = load_settings(
        {
            "WEBHOOK_ALLOWED_HOSTS": " Hooks.Example.com , 127.0.0.1:8123,[::1]:9000",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_TIMEOUT": "3s",
            "WEBHOOK_MAX_ATTEMPTS": "5",
            "WEBHOOK_BACKOFF_BASE": "100ms",
            "WEBHOOK_BACKOFF_MAX": "1m",
            "WEBHOOK_INTERVAL": "200ms",
        }
    ).webhooks

    assert webhooks.rule.allowed_hosts == {"hooks.example.com", "127.0.0.1:8123", "[::1]:9000"}
    assert webhooks.secret == SECRET.encode()
    assert (webhooks.timeout, webhooks.max_attempts) == (timedelta(seconds=3), 5)
    assert (webhooks.backoff_base, webhooks.backoff_max) == (
        timedelta(milliseconds=100),
        timedelta(minutes=1),
    )
    assert webhooks.interval == timedelta(milliseconds=200)


@pytest.mark.parametrize("secret", [None, "", "too-short"])
def test_the_secret_is_required_when_hosts_are_allowed(secret: str | None) -> None:
    env = {"WEBHOOK_ALLOWED_HOSTS": "hooks.example.com"}
    if secret is not None:
        env["WEBHOOK_SECRET"] = secret

    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be set to at least 16") as refused:
        load_settings(env)

    assert secret is None or not secret or secret not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEBHOOK_ALLOWED_HOSTS", "http://hooks.example.com", "is not a host name or host:port"),
        ("WEBHOOK_ALLOWED_HOSTS", "hooks.example.com:70000", "is not a host name"),
        ("WEBHOOK_ALLOWED_HOSTS", "bad_host!", "is not a host name"),
        ("WEBHOOK_TIMEOUT", "0s", "WEBHOOK_TIMEOUT='0s': must be a positive duration"),
        ("WEBHOOK_BACKOFF_BASE", "soon", "WEBHOOK_BACKOFF_BASE='soon'"),
        ("WEBHOOK_MAX_ATTEMPTS", "0", "WEBHOOK_MAX_ATTEMPTS='0': must be a whole number"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    env = {"WEBHOOK_ALLOWED_HOSTS": "hooks.example.com", "WEBHOOK_SECRET": SECRET, name: value}

    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(env)


def test_the_secret_is_never_shown_by_the_settings() -> None:
    settings = load_settings(
        {"WEBHOOK_ALLOWED_HOSTS": "hooks.example.com", "WEBHOOK_SECRET": SECRET}
    )

    assert SECRET not in repr(settings)
    assert SECRET not in repr(settings.webhooks)
