"""The OpenAPI schema of callback_url says what the callback rule takes."""

import re

import pytest

from taskforge_domain.callback_url import WEBHOOKS_OFF, CallbackRule, InvalidCallbackUrl
from taskforge_entrypoints.rest.callback_url_schema import callback_url_schema

RULE = CallbackRule.allowing(["hooks.example.com", "127.0.0.1:8123", "[::1]:9000"])


def taken_by_rule(url: str) -> bool:
    try:
        RULE.check(url)
    except InvalidCallbackUrl:
        return False
    return True


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/taskforge",
        "HTTP://HOOKS.example.com:8080/x?y=1",
        "http://hooks.example.com?token=abc",
        "http://127.0.0.1:8123/",
        "http://127.0.0.1:08123/",
        "http://[::1]:9000/v6",
        "http://127.0.0.1:8124/",
        "http://hooks.example.com.evil.test/",
        "http://user@hooks.example.com/",
        "https://hooks.example.com/#part",
        "ftp://hooks.example.com/",
        "https://hooks.example.com/a b",
        "http://hooks.example.com:38360852?x",
        "http://hooks.example.com:65535/",
        "http://hooks.example.com:65536/",
        "http://hooks.example.com:0065535/",
        "http://hooks.example.com:/",
    ],
)
def test_the_pattern_takes_a_url_when_the_rule_does(url: str) -> None:
    [schema, _] = callback_url_schema(RULE)["anyOf"]

    assert bool(re.search(schema["pattern"], url)) == taken_by_rule(url)


def test_with_webhooks_off_only_null_is_allowed() -> None:
    assert callback_url_schema(WEBHOOKS_OFF)["type"] == "null"
