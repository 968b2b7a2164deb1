import os
import socket
from datetime import timedelta

import pytest

from taskforge_entrypoints.config.go_duration import parse_go_duration
from taskforge_entrypoints.config.settings import ConfigError, load_settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300ms", timedelta(milliseconds=300)),
        ("5s", timedelta(seconds=5)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("0", timedelta(0)),
        ("0s", timedelta(0)),
        ("2h45m30s", timedelta(hours=2, minutes=45, seconds=30)),
        ("1m30.5s", timedelta(minutes=1, seconds=30.5)),
        ("1500us", timedelta(microseconds=1500)),
        ("250µs", timedelta(microseconds=250)),
        (".5s", timedelta(milliseconds=500)),
    ],
)
def test_go_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize("text", ["5x", "-1s", "abc", "", "5", "5 s", " 5s", "1h-30m", "s", "1d"])
def test_malformed_go_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_go_duration(text)


@pytest.mark.parametrize("text", ["999999999999h", "1" * 400 + "s"], ids=["hours", "digits"])
def test_a_duration_too_long_to_represent_is_refused_as_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_go_duration(text)


def test_no_environment_gives_every_spec_default() -> None:
    settings = load_settings({})

    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 8080)
    assert settings.http_base_url == "http://localhost:8080"
    assert settings.service_max_attempts == 5
    assert settings.service_timeout == timedelta(seconds=300)
    assert (settings.postgres_host, settings.postgres_port) == ("postgres", 5432)
    assert settings.postgres_user == "taskforge"
    assert settings.postgres_password == "taskforge"
    assert settings.postgres_db == "taskforge"
    assert settings.postgres_migration_path == "file://migrations"
    assert settings.redis_addr == "redis:6379"
    assert settings.redis_password == ""
    assert settings.redis_db == 0
    assert settings.redis_stream == "taskforge:queue:normal"
    assert settings.redis_consumer_group == "taskforge-workers"
    assert settings.redis_stream_dlq == "taskforge:dlq"
    assert settings.redis_dlq_consumer_group == "taskforge-dlq"
    assert settings.worker_consumer_name == "worker-1"
    assert settings.worker_block_timeout == timedelta(seconds=2)
    assert settings.backoff_base == timedelta(seconds=5)
    assert settings.backoff_max == timedelta(minutes=15)
    assert settings.retry_scheduler_interval == timedelta(seconds=5)


def test_the_defaults_build_the_container_database_url() -> None:
    assert (
        load_settings({}).database_url == "postgresql://taskforge:taskforge@postgres:5432/taskforge"
    )


def test_set_values_replace_the_defaults() -> None:
    settings = load_settings(
        {
            "HTTP_ADDR": "127.0.0.1:9000",
            "HTTP_BASE_URL": "https://jobs.example.com/",
            "SERVICE_MAX_ATTEMPTS": "2",
            "SERVICE_TIMEOUT_SECONDS": "30",
            "POSTGRES_PASSWORD": "",
            "REDIS_ADDR": "127.0.0.1:6380",
            "REDIS_DB": "3",
            "WORKER_BLOCK_TIMEOUT": "300ms",
            "BACKOFF_MAX": "1h30m",
        }
    )

    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 9000)
    assert settings.http_base_url == "https://jobs.example.com"
    assert settings.service_max_attempts == 2
    assert settings.service_timeout == timedelta(seconds=30)
    assert settings.postgres_password == ""
    assert (settings.redis_addr, settings.redis_db) == ("127.0.0.1:6380", 3)
    assert settings.worker_block_timeout == timedelta(milliseconds=300)
    assert settings.backoff_max == timedelta(hours=1, minutes=30)


def test_a_bracketed_ipv6_listen_address_is_understood() -> None:
    settings = load_settings({"HTTP_ADDR": "[::1]:8081"})

    assert (settings.http_host, settings.http_port) == ("::1", 8081)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_ADDR", "8080"),
        ("HTTP_ADDR", ":http"),
        ("HTTP_ADDR", ":0"),
        ("HTTP_BASE_URL", ""),
        ("SERVICE_MAX_ATTEMPTS", "0"),
        ("SERVICE_MAX_ATTEMPTS", "many"),
        ("SERVICE_MAX_ATTEMPTS", "101"),
        ("SERVICE_TIMEOUT_SECONDS", "-5"),
        ("SERVICE_TIMEOUT_SECONDS", "5s"),
        ("POSTGRES_HOST", ""),
        ("POSTGRES_PORT", "70000"),
        ("POSTGRES_DB", ""),
        ("REDIS_ADDR", "redis"),
        ("REDIS_ADDR", "redis:port"),
        ("REDIS_DB", "-1"),
        ("REDIS_STREAM", ""),
        ("WORKER_CONSUMER_NAME", ""),
        ("WORKER_BLOCK_TIMEOUT", "2"),
        ("WORKER_BLOCK_TIMEOUT", "0s"),
        ("BACKOFF_BASE", "-1s"),
        ("BACKOFF_MAX", "5x"),
        ("RETRY_SCHEDULER_INTERVAL", "abc"),
    ],
)
def test_a_bad_value_stops_with_one_line_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({name: value})

    message = str(refused.value)
    assert message.startswith(name)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKOFF_MAX", "999999999999h"),
        ("WORKER_BLOCK_TIMEOUT", "1" * 400 + "s"),
        ("SERVICE_TIMEOUT_SECONDS", "99999999999999999"),
    ],
    ids=["BACKOFF_MAX", "WORKER_BLOCK_TIMEOUT", "SERVICE_TIMEOUT_SECONDS"],
)
def test_a_value_too_large_to_represent_is_a_config_error_naming_the_variable(
    name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=rf"^{name}"):
        load_settings({name: value})


def test_a_listen_address_that_is_not_host_and_port_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^HTTP_ADDR"):
        load_settings({"HTTP_ADDR": "::1"})


def test_hostname_in_the_consumer_name_expands() -> None:
    settings = load_settings({"WORKER_CONSUMER_NAME": "worker-{hostname}"})

    assert settings.worker_consumer_name == f"worker-{socket.gethostname()}"


def test_pid_in_the_consumer_name_expands() -> None:
    settings = load_settings({"WORKER_CONSUMER_NAME": "{hostname}-{pid}"})

    assert settings.worker_consumer_name == f"{socket.gethostname()}-{os.getpid()}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        (":9101", ("0.0.0.0", 9101)),
        ("127.0.0.1:9101", ("127.0.0.1", 9101)),
        ("[::1]:9101", ("::1", 9101)),
    ],
    ids=["off", "all-interfaces", "ipv4", "ipv6"],
)
def test_worker_metrics_addr_is_off_unless_set_to_a_listen_address(
    value: str, expected: tuple[str, int] | None
) -> None:
    assert load_settings({"WORKER_METRICS_ADDR": value}).worker_metrics_addr == expected
    assert load_settings({}).worker_metrics_addr is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WORKER_METRICS_ADDR", "9101"),
        ("WORKER_METRICS_ADDR", ":0"),
        ("WORKER_METRICS_ADDR", "::1:9101"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_metrics_address_or_log_format_is_refused_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name}"):
        load_settings({name: value})


@pytest.mark.parametrize(
    ("value", "expected"), [("auto", "auto"), ("JSON", "json"), ("text", "text")]
)
def test_log_format_is_auto_by_default_or_as_set(value: str, expected: str) -> None:
    assert load_settings({}).log_format == "auto"
    assert load_settings({"LOG_FORMAT": value}).log_format == expected


def test_the_schedule_misfire_grace_is_ten_seconds_unless_set_to_a_positive_duration() -> None:
    assert load_settings({}).schedule_misfire_grace == timedelta(seconds=10)
    grace = load_settings({"SCHEDULE_MISFIRE_GRACE": "1m"}).schedule_misfire_grace
    assert grace == timedelta(minutes=1)
    with pytest.raises(ConfigError, match="SCHEDULE_MISFIRE_GRACE"):
        load_settings({"SCHEDULE_MISFIRE_GRACE": "0s"})
