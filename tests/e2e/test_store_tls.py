"""Taskforge's processes against a PostgreSQL and a Redis that speak only TLS and want a
client certificate: jobs run, `taskforge migrate` works, and a server whose certificate does
not match, or a store without TLS where TLS is required, is refused with a clear error."""

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import asyncpg
import httpx
import pytest

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import (
    TaskforgeProcess,
    running_stack,
    stack_environment,
    taskforge,
    wait_for_status,
    wait_until_ready,
)
from tests.faults.private_services import PrivatePostgres
from tests.tls_stores import OTHER_NAME, TlsPostgres, TlsRedis, service_tls_environment, tls_servers


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TlsPostgres, TlsRedis]]:
    with tls_servers(tmp_path_factory.mktemp("tls")) as started:
        yield started


async def tls_environment(servers: tuple[TlsPostgres, TlsRedis], **settings: str) -> dict[str, str]:
    """An api and worker environment on a new database of the TLS PostgreSQL."""
    postgres, redis_server = servers
    on_tls = Services(postgres.admin_url, redis_server.url, uuid.uuid4().hex[:8])
    tls = service_tls_environment(postgres, redis_server)
    return await stack_environment(on_tls, "tls-worker", {**FAST_RETRIES, **tls, **settings})


async def sessions_of(postgres: TlsPostgres, database: str) -> list[bool]:
    """Whether each session on `database` runs over TLS."""
    conn = await asyncpg.connect(postgres.admin_url)
    try:
        rows = await conn.fetch(
            "SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
            "WHERE a.datname = $1",
            database,
        )
    finally:
        await conn.close()
    return [row["ssl"] for row in rows]


def seen(worker: dict[str, str], field: str) -> datetime:
    return datetime.fromisoformat(worker[field])


async def heartbeats_seen(client: httpx.AsyncClient, within: float = 10) -> list[dict[str, str]]:
    """The workers once one was seen after it started: its heartbeat thread, which has a
    connection of its own, wrote to PostgreSQL."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        workers: list[dict[str, str]] = (await client.get("/v1/workers")).json()["workers"]
        if any(seen(worker, "last_seen_at") > seen(worker, "started_at") for worker in workers):
            return workers
        await asyncio.sleep(0.05)
    raise AssertionError(f"no worker's heartbeat arrived within {within}s")


async def test_api_and_worker_run_a_job_over_tls_to_both_stores(
    servers: tuple[TlsPostgres, TlsRedis],
) -> None:
    env = await tls_environment(servers, WORKER_HEARTBEAT_INTERVAL="100ms")
    with running_stack(env) as stack:
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as client:
            submitted = await client.post("/v1/jobs", json={"job_type": "ping", "payload": {}})
            assert submitted.status_code == 202, submitted.text
            job = await wait_for_status(client, submitted.json()["id"])
            ready = await client.get("/ready")
            announced = await heartbeats_seen(client)
        listed = taskforge("workers", "list", "--json", env=env)
        sessions = await sessions_of(servers[0], env["POSTGRES_DB"])
    assert job["status"] == "completed", stack.logs
    assert ready.status_code == 200, ready.text
    assert [worker["consumer"][:11] for worker in announced] == ["tls-worker-"]
    assert listed.returncode == 0, listed.stderr
    assert [w["consumer"] for w in json.loads(listed.stdout)["workers"]] == [
        announced[0]["consumer"]
    ]
    assert sessions, "neither process held a PostgreSQL session"
    assert all(sessions)
    assert servers[0].password not in stack.logs


async def test_migrate_applies_the_migrations_over_tls(
    servers: tuple[TlsPostgres, TlsRedis],
) -> None:
    env = await tls_environment(servers)
    done = taskforge("migrate", "up", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("applied: 1, 2,")


async def test_migrate_refuses_a_postgres_whose_certificate_names_another_host(
    servers: tuple[TlsPostgres, TlsRedis],
) -> None:
    env = await tls_environment(servers, POSTGRES_HOST=OTHER_NAME)
    refused = taskforge("migrate", "up", env=env)
    assert refused.returncode == 1
    assert "certificate verify failed: IP address mismatch" in refused.stderr
    assert servers[0].password not in refused.stderr + refused.stdout


async def test_migrate_refuses_a_postgres_signed_by_another_authority(
    servers: tuple[TlsPostgres, TlsRedis],
) -> None:
    other_ca = str(servers[0].certificates.other_ca)
    env = await tls_environment(servers, POSTGRES_SSLROOTCERT=other_ca)
    refused = taskforge("migrate", "up", env=env)
    assert refused.returncode == 1
    assert "certificate verify failed" in refused.stderr


def test_migrate_with_sslmode_require_refuses_a_postgres_without_tls() -> None:
    # A server of its own with ssl = off, as initdb leaves it: the machine's might have it on.
    plain = PrivatePostgres()
    try:
        env = {
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(plain.port),
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": "postgres",
            "POSTGRES_SSLMODE": "require",
        }
        refused = taskforge("migrate", "up", env=env)
    finally:
        plain.destroy()
    assert refused.returncode == 1
    assert "rejected SSL upgrade" in refused.stderr


async def test_a_client_certificate_without_its_key_stops_the_command_naming_both(
    servers: tuple[TlsPostgres, TlsRedis],
) -> None:
    env = await tls_environment(servers, POSTGRES_SSLKEY="")
    refused = taskforge("migrate", "up", env=env)
    assert refused.returncode == 2
    assert "POSTGRES_SSLCERT is set without POSTGRES_SSLKEY" in refused.stderr


async def test_the_api_reports_redis_refused_when_its_certificate_is_signed_by_another_authority(
    servers: tuple[TlsPostgres, TlsRedis],
) -> None:
    env = await tls_environment(servers, REDIS_TLS_CA=str(servers[1].certificates.other_ca))
    api = TaskforgeProcess(["api"], env)
    try:
        wait_until_ready(env["HTTP_BASE_URL"], api)
        async with httpx.AsyncClient(base_url=env["HTTP_BASE_URL"], timeout=10) as client:
            ready = await client.get("/ready")
    finally:
        assert api.stop() == 0, api.log
    assert ready.status_code == 503
    assert "certificate verify failed" in ready.json()["checks"]["redis"]
