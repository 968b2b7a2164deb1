"""The dashboard's settings: its session key, how long a login lasts, the masked keys."""

import logging
from datetime import timedelta

import pytest

from taskforge_entrypoints.config.settings import ConfigError, load_settings
from taskforge_entrypoints.rest.composition import warn_if_sessions_local


def test_without_a_session_secret_each_start_makes_its_own() -> None:
    first, second = load_settings({}), load_settings({})

    assert len(first.ui_session_secret) >= 32
    assert first.ui_session_secret != second.ui_session_secret
    assert first.ui_session_lifetime == timedelta(hours=8)
    assert first.ui_mask_payload_keys == frozenset()


def test_the_dashboard_settings_are_read_and_the_secret_is_never_shown() -> None:
    secret = "k" * 40
    settings = load_settings(
        {
            "UI_SESSION_SECRET": secret,
            "UI_SESSION_LIFETIME": "30m",
            "UI_MASK_PAYLOAD_KEYS": "password, token,,",
        }
    )

    assert settings.ui_session_secret == secret
    assert settings.ui_session_lifetime == timedelta(minutes=30)
    assert settings.ui_mask_payload_keys == {"password", "token"}
    assert secret not in repr(settings)


def test_a_short_session_secret_stops_the_start_without_showing_it() -> None:
    with pytest.raises(ConfigError, match=r"^UI_SESSION_SECRET must be at least 32") as refused:
        load_settings({"UI_SESSION_SECRET": "short-secret"})
    assert "short-secret" not in str(refused.value)


def test_a_lifetime_that_is_no_duration_stops_the_start() -> None:
    with pytest.raises(ConfigError, match=r"^UI_SESSION_LIFETIME"):
        load_settings({"UI_SESSION_LIFETIME": "forever"})


def test_an_api_without_a_session_secret_warns_that_its_sessions_are_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="taskforge"):
        warn_if_sessions_local(load_settings({}))
        warn_if_sessions_local(load_settings({"UI_SESSION_SECRET": "k" * 40}))

    [record] = caplog.records
    assert "UI_SESSION_SECRET is unset" in record.getMessage()
    assert "do not work across API processes" in record.getMessage()
