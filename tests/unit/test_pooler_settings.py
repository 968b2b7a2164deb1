"""Settings for running behind a transaction pooler: the direct address and the statement cache."""

import pytest

from taskforge_entrypoints.config.settings import ConfigError, load_settings

POOLED = {"POSTGRES_HOST": "pgbouncer", "POSTGRES_PORT": "6432"}


def test_without_a_direct_address_sessions_use_the_pooled_one_and_statements_are_cached() -> None:
    settings = load_settings(POOLED)

    assert settings.direct_database_url == settings.database_url
    assert (
        settings.direct_database_url == "postgresql://taskforge:taskforge@pgbouncer:6432/taskforge"
    )
    assert settings.postgres_statement_cache_size == 100


def test_a_direct_address_is_used_for_sessions_and_the_pool_keeps_the_pooled_one() -> None:
    settings = load_settings(
        {**POOLED, "POSTGRES_DIRECT_HOST": "postgres", "POSTGRES_DIRECT_PORT": "5432"}
    )

    assert settings.database_url == "postgresql://taskforge:taskforge@pgbouncer:6432/taskforge"
    assert (
        settings.direct_database_url == "postgresql://taskforge:taskforge@postgres:5432/taskforge"
    )


@pytest.mark.parametrize(
    "direct",
    [{"POSTGRES_DIRECT_HOST": "postgres"}, {"POSTGRES_DIRECT_PORT": "5432"}],
    ids=["host", "port"],
)
def test_a_direct_address_apart_from_the_pooled_one_turns_the_statement_cache_off(
    direct: dict[str, str],
) -> None:
    assert load_settings({**POOLED, **direct}).postgres_statement_cache_size == 0


def test_the_statement_cache_size_can_be_set_behind_a_pooler_that_keeps_statements() -> None:
    settings = load_settings(
        {**POOLED, "POSTGRES_DIRECT_HOST": "postgres", "POSTGRES_STATEMENT_CACHE_SIZE": "250"}
    )

    assert settings.postgres_statement_cache_size == 250


def test_empty_direct_settings_mean_the_pooled_address() -> None:
    settings = load_settings({**POOLED, "POSTGRES_DIRECT_HOST": "", "POSTGRES_DIRECT_PORT": ""})

    assert settings.direct_database_url == settings.database_url
    assert settings.postgres_statement_cache_size == 100


def test_an_ipv6_direct_host_is_bracketed_in_its_url() -> None:
    settings = load_settings({"POSTGRES_DIRECT_HOST": "::1"})

    assert settings.direct_database_url == "postgresql://taskforge:taskforge@[::1]:5432/taskforge"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("POSTGRES_DIRECT_PORT", "0", "POSTGRES_DIRECT_PORT='0': must be a port"),
        ("POSTGRES_DIRECT_PORT", "pg", "POSTGRES_DIRECT_PORT='pg'"),
        ("POSTGRES_STATEMENT_CACHE_SIZE", "-1", "POSTGRES_STATEMENT_CACHE_SIZE='-1': must be"),
    ],
)
def test_bad_pooler_settings_are_refused_naming_the_variable(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({name: value})
