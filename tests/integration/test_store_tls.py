"""The PostgreSQL and Redis adapters over TLS: the servers are checked as far as asked, a
certificate that does not match is refused, and plaintext is refused where TLS is due."""

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import redis.exceptions

from taskforge_adapters.postgres.migrations import migrate_up
from taskforge_adapters.postgres.pg_enqueue_listener import PgEnqueueListener
from taskforge_adapters.postgres.pg_job_change_listener import PgJobChangeListener
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_tls import PgSsl, pg_ssl
from taskforge_adapters.redis.redis_client import create_redis_client
from taskforge_adapters.redis.redis_tls import RedisTlsOptions
from taskforge_app.ports import StoreUnavailable
from tests.conftest import MIGRATIONS_URL, Services
from tests.faults.private_services import PrivatePostgres
from tests.tls_stores import (
    OTHER_NAME,
    SERVER_NAME,
    Certificates,
    TlsPostgres,
    TlsRedis,
    make_certificates,
)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_postgres(certificates: Certificates) -> Iterator[TlsPostgres]:
    server = TlsPostgres(certificates)
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def plain_postgres() -> Iterator[PrivatePostgres]:
    """ssl = off, as initdb leaves it; the machine's own server might have TLS on."""
    server = PrivatePostgres()
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def tls_redis(certificates: Certificates) -> Iterator[TlsRedis]:
    server = TlsRedis(certificates)
    yield server
    server.stop()


def checked(certificates: Certificates, mode: str = "verify-full", **files: Path | None) -> PgSsl:
    """asyncpg's ssl argument for `mode`, trusting the test's authority with its client
    certificate unless `files` says otherwise."""
    chosen = {
        "root_cert": certificates.ca,
        "cert": certificates.client_cert,
        "key": certificates.client_key,
        **files,
    }
    return pg_ssl(
        mode, **{name: str(path) if path is not None else "" for name, path in chosen.items()}
    )


async def over_tls(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))


@pytest_asyncio.fixture
async def fresh_database(tls_postgres: TlsPostgres, certificates: Certificates) -> str:
    conn = await asyncpg.connect(tls_postgres.dsn(), ssl=checked(certificates))
    try:
        await conn.execute("DROP DATABASE IF EXISTS taskforge_tls")
        await conn.execute("CREATE DATABASE taskforge_tls")
    finally:
        await conn.close()
    return tls_postgres.dsn(database="taskforge_tls")


async def test_the_pool_and_the_migrations_work_over_a_fully_checked_connection(
    fresh_database: str, certificates: Certificates
) -> None:
    applied = await migrate_up(fresh_database, MIGRATIONS_URL, ssl=checked(certificates))
    pool = await create_pg_pool(fresh_database, max_size=2, ssl=checked(certificates))
    try:
        async with pool.acquire() as conn:
            assert await over_tls(conn)
            assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == applied[-1]
    finally:
        await pool.close()


async def test_verify_full_refuses_a_certificate_made_out_to_another_host(
    tls_postgres: TlsPostgres, certificates: Certificates
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        await asyncpg.connect(tls_postgres.dsn(OTHER_NAME), ssl=checked(certificates))


async def test_verify_ca_checks_the_chain_but_not_the_host_name(
    tls_postgres: TlsPostgres, certificates: Certificates
) -> None:
    conn = await asyncpg.connect(
        tls_postgres.dsn(OTHER_NAME), ssl=checked(certificates, "verify-ca")
    )
    try:
        assert await over_tls(conn)
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["require", "verify-ca", "verify-full"])
async def test_a_server_signed_by_another_authority_is_refused(
    tls_postgres: TlsPostgres, certificates: Certificates, mode: str
) -> None:
    wrong_ca = checked(certificates, mode, root_cert=certificates.other_ca)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await asyncpg.connect(tls_postgres.dsn(), ssl=wrong_ca)


async def test_verify_full_without_a_root_certificate_trusts_only_the_system_authorities(
    tls_postgres: TlsPostgres, certificates: Certificates
) -> None:
    system_only = checked(certificates, root_cert=None)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await asyncpg.connect(tls_postgres.dsn(), ssl=system_only)


async def test_require_without_a_root_certificate_encrypts_without_checking(
    tls_postgres: TlsPostgres, certificates: Certificates
) -> None:
    unchecked = checked(certificates, "require", root_cert=None)
    conn = await asyncpg.connect(tls_postgres.dsn(OTHER_NAME), ssl=unchecked)
    try:
        assert await over_tls(conn)
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["require", "verify-full"])
async def test_a_mode_that_requires_tls_refuses_a_plaintext_server(
    plain_postgres: PrivatePostgres, certificates: Certificates, mode: str
) -> None:
    with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
        await asyncpg.connect(plain_postgres.admin_url, ssl=checked(certificates, mode))


async def test_the_default_prefer_still_reaches_a_plaintext_server(
    plain_postgres: PrivatePostgres,
) -> None:
    conn = await asyncpg.connect(plain_postgres.admin_url, ssl=pg_ssl("prefer"))
    try:
        assert not await over_tls(conn)
    finally:
        await conn.close()


async def test_a_tls_only_server_refuses_a_plaintext_client(tls_postgres: TlsPostgres) -> None:
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
        await asyncpg.connect(tls_postgres.dsn(), ssl=pg_ssl("disable"))


async def test_a_server_that_wants_a_client_certificate_refuses_a_client_without_one(
    tls_postgres: TlsPostgres, certificates: Certificates
) -> None:
    anonymous = checked(certificates, cert=None, key=None)
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="client certificate"):
        await asyncpg.connect(tls_postgres.dsn(), ssl=anonymous)


def redis_options(certificates: Certificates, **changes: object) -> RedisTlsOptions:
    options = {
        "ca_file": str(certificates.ca),
        "cert_file": str(certificates.client_cert),
        "key_file": str(certificates.client_key),
        **changes,
    }
    return RedisTlsOptions(**options)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def redis_over(tls_redis: TlsRedis) -> AsyncIterator[object]:
    opened: list[aioredis.Redis] = []

    def client(
        host: str, tls: RedisTlsOptions | None, port: int = tls_redis.port
    ) -> aioredis.Redis:
        made = create_redis_client(f"{host}:{port}", "", 0, read_timeout=5, tls=tls)
        opened.append(made)
        return made

    yield client
    for made in opened:
        await made.aclose()


async def test_the_redis_client_works_over_a_fully_checked_connection(
    redis_over, certificates: Certificates
) -> None:
    client = redis_over(SERVER_NAME, redis_options(certificates))
    await client.xadd("tls:stream", {"job_id": "x"})
    assert await client.xlen("tls:stream") == 1


async def test_redis_refuses_a_certificate_made_out_to_another_host(
    redis_over, certificates: Certificates
) -> None:
    with pytest.raises(redis.exceptions.ConnectionError, match="mismatch"):
        await redis_over(OTHER_NAME, redis_options(certificates)).ping()


async def test_redis_checking_only_the_chain_accepts_another_host_name(
    redis_over, certificates: Certificates
) -> None:
    assert await redis_over(OTHER_NAME, redis_options(certificates, check_hostname=False)).ping()


async def test_redis_refuses_a_server_signed_by_another_authority(
    redis_over, certificates: Certificates
) -> None:
    wrong_ca = redis_options(certificates, ca_file=str(certificates.other_ca))
    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
        await redis_over(SERVER_NAME, wrong_ca).ping()


async def test_a_tls_only_redis_refuses_a_plaintext_client(redis_over) -> None:
    with pytest.raises(redis.exceptions.ConnectionError):
        await redis_over(SERVER_NAME, None).ping()


async def test_a_tls_client_refuses_a_plaintext_redis(
    redis_over, test_services: Services, certificates: Certificates
) -> None:
    plain = urlsplit(test_services.redis_url)
    unchecked_name = redis_options(certificates, check_hostname=False)
    # The plaintext server takes the TLS greeting for a command and never answers it.
    with pytest.raises((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        await redis_over(plain.hostname, unchecked_name, plain.port or 6379).ping()


async def test_redis_refuses_a_client_without_a_certificate(
    redis_over, certificates: Certificates
) -> None:
    anonymous = redis_options(certificates, cert_file="", key_file="")
    # TLS 1.3 finishes the client's side of the handshake first: the server's refusal
    # arrives as its alert or, when it has already hung up, as a reset.
    refused = "certificate required|reset by peer"
    with pytest.raises(redis.exceptions.ConnectionError, match=refused):
        await redis_over(SERVER_NAME, anonymous).ping()


async def test_the_listening_connections_follow_the_tls_settings(
    fresh_database: str, certificates: Certificates
) -> None:
    """The LISTEN connections are opened apart from the pool: they must check the server
    as the pool does, and reach a server that wants a client certificate."""
    relay = PgEnqueueListener(fresh_database, ssl=checked(certificates))
    await relay.listen()
    await relay.close()
    refused = PgEnqueueListener(
        fresh_database, ssl=checked(certificates, root_cert=certificates.other_ca)
    )
    with pytest.raises(StoreUnavailable):
        await refused.listen()

    class Heard:
        def changed(self, notices: object) -> None: ...

        def resync(self) -> None: ...

    stop = asyncio.Event()
    feed = PgJobChangeListener(fresh_database, ssl=checked(certificates))
    following = asyncio.create_task(feed.follow(Heard(), stop))
    try:
        async with asyncio.timeout(10):
            await feed.connected.wait()
    finally:
        stop.set()
        await following
