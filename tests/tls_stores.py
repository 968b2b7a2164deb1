"""A PostgreSQL and a Redis that speak only TLS and want a client certificate, on free
loopback ports, with certificates the test makes: the servers' names `localhost` alone, so
a client that reaches them as 127.0.0.1 meets a certificate for another host."""

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import trustme

from tests.faults.private_services import PrivatePostgres, PrivateRedis

SERVER_NAME = "localhost"
OTHER_NAME = "127.0.0.1"


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    # An authority that signed nothing here, for a client that trusts the wrong one.
    other_ca: Path


def make_certificates(directory: Path) -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    ca, other_ca = trustme.CA(organization_name="Taskforge tests"), trustme.CA()
    server, client = ca.issue_cert(SERVER_NAME), ca.issue_cert("taskforge-client")
    files = Certificates(
        ca=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
        other_ca=directory / "other-ca.pem",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    other_ca.cert_pem.write_to_path(str(files.other_ca))
    for leaf, cert, key in (
        (server, files.server_cert, files.server_key),
        (client, files.client_cert, files.client_key),
    ):
        cert.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
        key.write_bytes(leaf.private_key_pem.bytes())
        key.chmod(0o600)
    return files


class TlsPostgres(PrivatePostgres):
    """Plaintext connections refused; over TLS a client needs a certificate from the test's
    authority and the superuser's password, so a password can be checked for in the logs."""

    def __init__(self, certificates: Certificates) -> None:
        self.certificates = certificates
        self.password = secrets.token_urlsafe(18)
        super().__init__()
        self._psql(f"ALTER ROLE postgres PASSWORD '{self.password}'")

    def configure(self, data: Path) -> None:
        files = self.certificates
        for name, source in (
            ("server.crt", files.server_cert),
            ("server.key", files.server_key),
            ("root.crt", files.ca),
        ):
            # PostgreSQL refuses a key file that anyone but its owner, the server, may read.
            target = data / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            self.give_to_server(target)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "ssl_ca_file = 'root.crt'\n"
            )
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-ca\n"
            "hostnossl all all 127.0.0.1/32 reject\n"
        )

    @property
    def admin_url(self) -> str:
        """Fully checked, with the client certificate: asyncpg reads these from the URL."""
        files = self.certificates
        return (
            f"postgresql://postgres:{self.password}@{SERVER_NAME}:{self.port}/postgres"
            f"?sslmode=verify-full&sslrootcert={files.ca}"
            f"&sslcert={files.client_cert}&sslkey={files.client_key}"
        )

    def dsn(self, host: str = SERVER_NAME, database: str = "postgres") -> str:
        """No TLS in it: the test passes asyncpg's `ssl` argument itself."""
        return f"postgresql://postgres:{self.password}@{host}:{self.port}/{database}"

    def _psql(self, statement: str) -> None:
        # Over the Unix socket, which trusts the local superuser.
        socket_dir, port = str(self._dir), str(self.port)
        self._run("psql", "-h", socket_dir, "-p", port, "-U", "postgres", "-qc", statement)


class TlsRedis(PrivateRedis):
    """TLS only (no plaintext port), client certificates required, Redis's default."""

    def __init__(self, certificates: Certificates) -> None:
        self.certificates = certificates
        super().__init__()

    def server_arguments(self) -> list[str]:
        files = self.certificates
        return [
            "--port",
            "0",
            "--tls-port",
            str(self.port),
            "--tls-cert-file",
            str(files.server_cert),
            "--tls-key-file",
            str(files.server_key),
            "--tls-ca-cert-file",
            str(files.ca),
        ]

    @property
    def url(self) -> str:
        return f"rediss://{SERVER_NAME}:{self.port}/0"

    def client(self) -> redis.Redis:
        files = self.certificates
        return redis.Redis(
            host=SERVER_NAME,
            port=self.port,
            socket_timeout=5,
            ssl=True,
            ssl_ca_certs=str(files.ca),
            ssl_certfile=str(files.client_cert),
            ssl_keyfile=str(files.client_key),
        )


def service_tls_environment(postgres: TlsPostgres, redis_server: TlsRedis) -> dict[str, str]:
    """The settings of a taskforge process that checks both servers fully."""
    files = postgres.certificates
    return {
        "POSTGRES_HOST": SERVER_NAME,
        "POSTGRES_SSLMODE": "verify-full",
        "POSTGRES_SSLROOTCERT": str(files.ca),
        "POSTGRES_SSLCERT": str(files.client_cert),
        "POSTGRES_SSLKEY": str(files.client_key),
        "REDIS_ADDR": f"rediss://{SERVER_NAME}:{redis_server.port}",
        "REDIS_TLS_CA": str(files.ca),
        "REDIS_TLS_CERT": str(files.client_cert),
        "REDIS_TLS_KEY": str(files.client_key),
    }


@contextmanager
def tls_servers(directory: Path) -> Iterator[tuple[TlsPostgres, TlsRedis]]:
    """Both servers, with certificates made in `directory`; stopped when the block ends."""
    certificates = make_certificates(directory)
    postgres = TlsPostgres(certificates)
    try:
        redis_server = TlsRedis(certificates)
        try:
            yield postgres, redis_server
        finally:
            redis_server.stop()
    finally:
        postgres.destroy()
