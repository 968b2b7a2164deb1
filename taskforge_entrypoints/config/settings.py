"""Every setting Taskforge reads from the environment, checked once at start."""

import os
import re
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar
from urllib.parse import quote

from taskforge_domain.job_limits import MAX_ATTEMPTS_LIMIT, QUEUE_NAME_PATTERN
from taskforge_entrypoints.config.config_error import ConfigError as ConfigError
from taskforge_entrypoints.config.go_duration import parse_go_duration
from taskforge_entrypoints.config.redaction import redacted_repr
from taskforge_entrypoints.config.store_tls import (
    PostgresTls,
    RedisTls,
    load_postgres_tls,
    load_redis_address,
)
from taskforge_entrypoints.config.webhook_settings import (
    WEBHOOKS_OFF_SETTINGS,
    WebhookSettings,
    load_webhook_settings,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Settings:
    http_host: str
    http_port: int
    http_base_url: str
    http_max_body_bytes: int
    http_max_batch_body_bytes: int
    service_max_attempts: int
    service_timeout: timedelta
    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password: str
    postgres_db: str
    postgres_migration_path: str
    postgres_pool_size: int
    # What needs a session of its own (LISTEN, the migrations' advisory lock) connects
    # here, past a transaction pooler such as PgBouncer; the same server when there is none.
    postgres_direct_host: str
    postgres_direct_port: int
    # Prepared statements asyncpg keeps per connection: 0 behind a transaction pooler that
    # cannot follow them to the server connection it lends (PgBouncer before 1.21).
    postgres_statement_cache_size: int
    redis_addr: str
    redis_password: str
    redis_db: int
    redis_stream: str
    redis_consumer_group: str
    redis_stream_dlq: str
    redis_dlq_consumer_group: str
    queues: tuple[str, ...]
    worker_queues: dict[str, int]
    worker_consumer_name: str
    worker_block_timeout: timedelta
    worker_concurrency: int
    worker_batch_size: int
    worker_lease: timedelta
    worker_shutdown_grace: timedelta
    worker_heartbeat_interval: timedelta
    worker_liveness: timedelta
    worker_run_scheduler: bool
    worker_metrics_addr: tuple[str, int] | None
    backoff_base: timedelta
    backoff_max: timedelta
    retry_scheduler_interval: timedelta
    repair_interval: timedelta
    repair_grace: timedelta
    retention_completed: timedelta | None
    retention_cancelled: timedelta | None
    retention_dead: timedelta | None
    handler_modules: tuple[str, ...]
    log_level: str
    log_format: str
    # TLS to the stores (config/store_tls.py); defaulted so a Settings built in a test
    # without them keeps today's behaviour.
    postgres_tls: PostgresTls = field(default_factory=PostgresTls)
    redis_tls: RedisTls | None = None
    # How often an idle event stream (GET /v1/jobs/{id}/events) sends a comment, so
    # proxies that close quiet connections leave it open.
    http_events_heartbeat: timedelta = timedelta(seconds=15)
    webhooks: WebhookSettings = WEBHOOKS_OFF_SETTINGS
    # Access control (README "Security"): off keeps every route open, as before keys existed.
    api_auth_required: bool = False
    api_key_rate_limit: int | None = None
    audit_retention: timedelta | None = timedelta(days=90)
    # Schedules (README "Schedules"): a tick later than this is missed, and catch_up decides.
    schedule_misfire_grace: timedelta = timedelta(seconds=10)
    # The dashboard at /ui (README "Dashboard"): the key that signs its session cookies
    # (made up at start when unset), how long a login lasts, and the payload keys it masks.
    ui_session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # False when the secret was made up here: no other API process accepts its sessions.
    ui_session_secret_set: bool = False
    ui_session_lifetime: timedelta = timedelta(hours=8)
    ui_mask_payload_keys: frozenset[str] = frozenset()
    # Redis Cluster (README "Redis Cluster"): redis_addr then lists seed nodes, comma-separated.
    redis_cluster: bool = False
    queue_partitions: int = 1

    def __repr__(self) -> str:
        return redacted_repr(self)

    @property
    def database_url(self) -> str:
        """The pooled address, for everything done in one transaction."""
        return self._url(self.postgres_host, self.postgres_port)

    @property
    def direct_database_url(self) -> str:
        """The server itself, for what holds a session: LISTEN and the migrations."""
        return self._url(self.postgres_direct_host, self.postgres_direct_port)

    def _url(self, host: str, port: int) -> str:
        user, password = quote(self.postgres_user, safe=""), quote(self.postgres_password, safe="")
        credentials = f"{user}:{password}" if password else user
        host = f"[{host}]" if ":" in host else host
        return f"postgresql://{credentials}@{host}:{port}/{self.postgres_db}"


class _Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str, default: str, parse: Callable[[str], T]) -> T:
        raw = self._environ.get(name, default)
        try:
            return parse(raw)
        except (ValueError, OverflowError) as exc:
            raise ConfigError(f"{name}={raw!r}: {exc}") from None

    def text(self, name: str, default: str, *, allow_empty: bool = False) -> str:
        value = self._environ.get(name, default)
        if not value and not allow_empty:
            raise ConfigError(f"{name} must not be empty")
        return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be a whole number of at least 0")
    return value


def _attempts(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_ATTEMPTS_LIMIT:
        raise ValueError(f"must be at most {MAX_ATTEMPTS_LIMIT}")
    return value


def _seconds(text: str) -> timedelta:
    return timedelta(seconds=_positive_int(text))


def _positive_duration(text: str) -> timedelta:
    value = parse_go_duration(text)
    if value <= timedelta(0):
        raise ValueError("must be a positive duration like 300ms, 5s, 15m or 1h30m")
    return value


def _duration_or_off(text: str) -> timedelta | None:
    """A positive duration, or 0 for never."""
    value = parse_go_duration(text)
    return value if value > timedelta(0) else None


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise ValueError("must be a port between 1 and 65535")
    return value


def _listen_address(text: str) -> tuple[str, int]:
    host, separator, port = text.rpartition(":")
    if not separator:
        raise ValueError("must be host:port or :port")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError("an IPv6 host needs brackets, like [::1]:8080")
    return host.strip("[]") or "0.0.0.0", _port(port)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _log_format(text: str) -> str:
    value = text.strip().lower()
    if value not in {"auto", "json", "text"}:
        raise ValueError("must be auto, json or text")
    return value


def _api_auth(text: str) -> bool:
    value = text.strip().lower()
    if value not in {"off", "required"}:
        raise ValueError("must be off or required")
    return value == "required"


def _rate_or_off(text: str) -> int | None:
    """Jobs per second, or 0 for no limit."""
    value = _non_negative_int(text)
    return value or None


# Each partition is a stream, read with a round trip of its own when a worker waits.
MAX_QUEUE_PARTITIONS = 64


def _partitions(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_QUEUE_PARTITIONS:
        raise ValueError(f"must be at most {MAX_QUEUE_PARTITIONS}")
    return value


def _optional_listen_address(text: str) -> tuple[str, int] | None:
    return _listen_address(text) if text.strip() else None


_QUEUE_NAME = re.compile(QUEUE_NAME_PATTERN)


def _queue_names(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [name for name in names if not _QUEUE_NAME.match(name)]
    if bad or "normal" not in names:
        raise ValueError("must list queue names (a-z, 0-9, _ and -), `normal` among them")
    return names


def _queue_weights(text: str) -> dict[str, int]:
    weights: dict[str, int] = {}
    for part in (part.strip() for part in text.split(",") if part.strip()):
        name, _, weight = part.partition(":")
        if not _QUEUE_NAME.match(name):
            raise ValueError(f"{name!r} is not a queue name")
        weights[name] = _positive_int(weight or "1")
    if not weights:
        raise ValueError("must name at least one queue, like high:6,normal:3,low:1")
    return weights


def _module_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _consumer_name(text: str) -> str:
    # Replicas started from one template (compose --scale) need distinct names.
    return text.replace("{hostname}", socket.gethostname()).replace("{pid}", str(os.getpid()))


def _session_secret(text: str) -> str:
    # Unset: a secret of this process alone, so its sessions end when it restarts and
    # another API process does not accept them.
    if not text:
        return secrets.token_urlsafe(32)
    if len(text) < 32:
        # Not echoed, unlike other values: even a short secret is one.
        raise ConfigError(
            "UI_SESSION_SECRET must be at least 32 characters (`openssl rand -base64 32` makes one)"
        )
    return text


def _key_names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = _Env(environ)
    redis_addr, redis_tls = load_redis_address(environ)
    http_host, http_port = env.get("HTTP_ADDR", ":8080", _listen_address)
    timeout = env.get("SERVICE_TIMEOUT_SECONDS", "300", _seconds)
    postgres_host = env.text("POSTGRES_HOST", "postgres")
    postgres_port = env.get("POSTGRES_PORT", "5432", _port)
    # Empty, as compose files tend to write an unset value, means the pooled address too.
    direct_host = environ.get("POSTGRES_DIRECT_HOST") or postgres_host
    direct_port = _port_or(environ, "POSTGRES_DIRECT_PORT", postgres_port)
    # A direct address apart from the pooled one means a pooler sits between: without
    # being told otherwise, assume it is one that loses prepared statements.
    behind_pooler = (direct_host, direct_port) != (postgres_host, postgres_port)
    settings = Settings(
        http_host=http_host,
        http_port=http_port,
        http_base_url=env.text("HTTP_BASE_URL", "http://localhost:8080").rstrip("/"),
        http_max_body_bytes=env.get("HTTP_MAX_BODY_BYTES", "1048576", _positive_int),
        http_max_batch_body_bytes=env.get("HTTP_MAX_BATCH_BODY_BYTES", "16777216", _positive_int),
        service_max_attempts=env.get("SERVICE_MAX_ATTEMPTS", "5", _attempts),
        service_timeout=timeout,
        postgres_host=postgres_host,
        postgres_port=postgres_port,
        postgres_user=env.text("POSTGRES_USER", "taskforge"),
        postgres_password=env.text("POSTGRES_PASSWORD", "taskforge", allow_empty=True),
        postgres_db=env.text("POSTGRES_DB", "taskforge"),
        postgres_migration_path=env.text("POSTGRES_MIGRATION_PATH", "file://migrations"),
        postgres_pool_size=env.get("POSTGRES_POOL_SIZE", "10", _positive_int),
        postgres_direct_host=direct_host,
        postgres_direct_port=direct_port,
        postgres_statement_cache_size=env.get(
            "POSTGRES_STATEMENT_CACHE_SIZE", "0" if behind_pooler else "100", _non_negative_int
        ),
        redis_addr=redis_addr,
        redis_password=env.text("REDIS_PASSWORD", "", allow_empty=True),
        redis_db=env.get("REDIS_DB", "0", _non_negative_int),
        redis_stream=env.text("REDIS_STREAM", "taskforge:queue:normal"),
        redis_consumer_group=env.text("REDIS_CONSUMER_GROUP", "taskforge-workers"),
        redis_stream_dlq=env.text("REDIS_STREAM_DLQ", "taskforge:dlq"),
        redis_dlq_consumer_group=env.text("REDIS_DLQ_CONSUMER_GROUP", "taskforge-dlq"),
        queues=env.get("QUEUES", "high,normal,low", _queue_names),
        worker_queues=env.get("WORKER_QUEUES", "high:6,normal:3,low:1", _queue_weights),
        worker_consumer_name=_consumer_name(env.text("WORKER_CONSUMER_NAME", "worker-1")),
        worker_block_timeout=env.get("WORKER_BLOCK_TIMEOUT", "2s", _positive_duration),
        worker_concurrency=env.get("WORKER_CONCURRENCY", "200", _positive_int),
        worker_batch_size=env.get("WORKER_BATCH_SIZE", "200", _positive_int),
        worker_lease=env.get("WORKER_LEASE", "30s", _positive_duration),
        worker_shutdown_grace=env.get("WORKER_SHUTDOWN_GRACE", "30s", _positive_duration),
        worker_heartbeat_interval=env.get("WORKER_HEARTBEAT_INTERVAL", "1s", _positive_duration),
        worker_liveness=env.get("WORKER_LIVENESS", "5s", _positive_duration),
        worker_run_scheduler=env.get("WORKER_RUN_SCHEDULER", "true", _boolean),
        worker_metrics_addr=env.get("WORKER_METRICS_ADDR", "", _optional_listen_address),
        backoff_base=env.get("BACKOFF_BASE", "5s", _positive_duration),
        backoff_max=env.get("BACKOFF_MAX", "15m", _positive_duration),
        retry_scheduler_interval=env.get("RETRY_SCHEDULER_INTERVAL", "5s", _positive_duration),
        repair_interval=env.get("REPAIR_INTERVAL", "30s", _positive_duration),
        repair_grace=env.get("REPAIR_GRACE", "30s", _positive_duration),
        retention_completed=env.get("RETENTION_COMPLETED", "168h", _duration_or_off),
        retention_cancelled=env.get("RETENTION_CANCELLED", "168h", _duration_or_off),
        retention_dead=env.get("RETENTION_DEAD", "0", _duration_or_off),
        handler_modules=env.get("TASKFORGE_HANDLERS", "", _module_list),
        log_level=env.get("LOG_LEVEL", "INFO", _log_level),
        log_format=env.get("LOG_FORMAT", "auto", _log_format),
        postgres_tls=load_postgres_tls(environ),
        redis_tls=redis_tls,
        http_events_heartbeat=env.get("HTTP_EVENTS_HEARTBEAT", "15s", _positive_duration),
        webhooks=_webhooks(environ),
        api_auth_required=env.get("API_AUTH", "off", _api_auth),
        api_key_rate_limit=env.get("API_KEY_RATE_LIMIT", "0", _rate_or_off),
        audit_retention=env.get("AUDIT_RETENTION", "2160h", _duration_or_off),
        schedule_misfire_grace=env.get("SCHEDULE_MISFIRE_GRACE", "10s", _positive_duration),
        ui_session_secret=_session_secret(env.text("UI_SESSION_SECRET", "", allow_empty=True)),
        ui_session_secret_set=bool(environ.get("UI_SESSION_SECRET")),
        ui_session_lifetime=env.get("UI_SESSION_LIFETIME", "8h", _positive_duration),
        ui_mask_payload_keys=env.get("UI_MASK_PAYLOAD_KEYS", "", _key_names),
        redis_cluster=env.get("REDIS_CLUSTER", "false", _boolean),
        queue_partitions=env.get("QUEUE_PARTITIONS", "1", _partitions),
    )
    if settings.redis_cluster:
        for seed in settings.redis_addr.split(","):
            _port_of(seed.strip(), "REDIS_ADDR")
        if settings.redis_db:
            raise ConfigError(f"REDIS_DB={settings.redis_db}: a Redis Cluster has database 0 only")
    elif "," in settings.redis_addr:
        raise ConfigError(
            f"REDIS_ADDR={settings.redis_addr!r} lists several nodes: set REDIS_CLUSTER=true "
            "for a Redis Cluster, or give one host:port"
        )
    else:
        _port_of(settings.redis_addr, "REDIS_ADDR")
    if settings.worker_liveness < 2 * settings.worker_heartbeat_interval:
        # One late heartbeat must not make a live worker look gone.
        raise ConfigError(
            f"WORKER_LIVENESS={settings.worker_liveness} must be at least twice "
            f"WORKER_HEARTBEAT_INTERVAL={settings.worker_heartbeat_interval}"
        )
    unknown = sorted(set(settings.worker_queues) - set(settings.queues))
    if unknown:
        raise ConfigError(f"WORKER_QUEUES names queues not in QUEUES: {', '.join(unknown)}")
    return settings


def _port_or(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    try:
        return _port(raw) if raw else default
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}") from None


def _webhooks(environ: Mapping[str, str]) -> WebhookSettings:
    try:
        return load_webhook_settings(environ)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _port_of(address: str, name: str) -> None:
    _, separator, port = address.rpartition(":")
    try:
        if not separator:
            raise ValueError("must be host:port")
        _port(port)
    except ValueError as exc:
        raise ConfigError(f"{name}={address!r}: {exc}") from None
