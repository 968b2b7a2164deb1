import re

import pytest

from taskforge_domain.callback_url import (
    CALLBACK_URL_MAX_LENGTH,
    WEBHOOKS_OFF,
    CallbackRule,
    InvalidCallbackUrl,
)

RULE = CallbackRule.allowing(["hooks.example.com", "127.0.0.1:8123", "[::1]:9000"])


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/taskforge",
        "http://hooks.example.com:8080/any/port?token=abc",
        "HTTPS://Hooks.Example.COM/case",
        "http://127.0.0.1:8123/",
        "http://[::1]:9000/v6",
    ],
)
def test_a_url_on_an_allowed_host_is_taken(url: str) -> None:
    assert RULE.check(url) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8124/", "host 127.0.0.1:8124 is not in WEBHOOK_ALLOWED_HOSTS"),
        ("http://127.0.0.1/", "host 127.0.0.1:80 is not in WEBHOOK_ALLOWED_HOSTS"),
        ("http://169.254.169.254/latest", "is not in WEBHOOK_ALLOWED_HOSTS"),
        ("http://hooks.example.com.evil.test/", "is not in WEBHOOK_ALLOWED_HOSTS"),
        ("ftp://hooks.example.com/", "absolute http:// or https://"),
        ("/relative/path", "absolute http:// or https://"),
        ("https://user:secret@hooks.example.com/", "credentials"),
        ("https://user@hooks.example.com/", "credentials"),
        ("https://hooks.example.com/#part", "fragment"),
        ("https://hooks.example.com/a b", "printable ASCII"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("https://hooks.example.com/" + "a" * CALLBACK_URL_MAX_LENGTH, "at most 2048"),
    ],
)
def test_anything_else_is_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(InvalidCallbackUrl, match=re.escape(why)) as refused:
        RULE.check(url)

    assert "secret" not in str(refused.value)


def test_with_no_host_allowed_webhooks_are_off() -> None:
    assert not WEBHOOKS_OFF.enabled
    with pytest.raises(InvalidCallbackUrl, match="webhooks are off"):
        WEBHOOKS_OFF.check("https://hooks.example.com/")
