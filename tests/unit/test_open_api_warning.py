import logging

import pytest

from taskforge_entrypoints.config.settings import load_settings
from taskforge_entrypoints.rest.composition import warn_if_open


@pytest.mark.parametrize("address", [":8080", "0.0.0.0:8080", "10.0.0.7:8080", "[::]:8080"])
def test_an_open_api_beyond_the_loopback_interface_is_warned_of(
    address: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="taskforge"):
        warn_if_open(load_settings({"HTTP_ADDR": address}))
    [record] = caplog.records
    assert "API_AUTH=off" in record.getMessage()
    assert "set API_AUTH=required" in record.getMessage()


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_ADDR": "127.0.0.1:8080"},
        {"HTTP_ADDR": "[::1]:8080"},
        {"HTTP_ADDR": "localhost:8080"},
        {"HTTP_ADDR": ":8080", "API_AUTH": "required"},
    ],
)
def test_no_warning_on_loopback_or_with_keys_required(
    environ: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="taskforge"):
        warn_if_open(load_settings(environ))
    assert caplog.records == []


def test_api_auth_takes_off_or_required_only() -> None:
    from taskforge_entrypoints.config.settings import ConfigError

    assert load_settings({}).api_auth_required is False
    with pytest.raises(ConfigError, match="API_AUTH='yes': must be off or required"):
        load_settings({"API_AUTH": "yes"})
    with pytest.raises(ConfigError, match="API_KEY_RATE_LIMIT='-1'"):
        load_settings({"API_KEY_RATE_LIMIT": "-1"})
    assert load_settings({"API_KEY_RATE_LIMIT": "0"}).api_key_rate_limit is None
    assert load_settings({"AUDIT_RETENTION": "0"}).audit_retention is None
