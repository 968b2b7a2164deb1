"""Where the tests find PostgreSQL and Redis, and how each run keeps its data apart.

URLs come from TASKFORGE_TEST_POSTGRES_URL (an admin connection: each run creates
its own database) and TASKFORGE_TEST_REDIS_URL. Without them, a Docker engine
starts pinned containers; without one, this machine's own services are used.
A service that cannot be reached fails the run: it never skips.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit, urlunsplit

POSTGRES_IMAGE = "postgres:16-alpine"
REDIS_IMAGE = "redis:7.4-alpine"
LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


def _docker_available() -> bool:
    """Ask the engine's /_ping directly: the docker library leaks sockets when none runs."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    address = urlsplit(host)
    try:
        if address.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with sock:
            sock.settimeout(3)
            if address.scheme == "unix":
                sock.connect(address.path)
            else:
                sock.connect((address.hostname or "localhost", address.port or 2375))
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return sock.recv(64).split(b"\r\n", 1)[0].endswith(b"200 OK")
    except OSError:
        return False


@contextmanager
def postgres_admin_url(stack: ExitStack) -> Iterator[str]:
    if url := os.environ.get("TASKFORGE_TEST_POSTGRES_URL"):
        yield url
    elif _docker_available():
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver=None))
        yield container.get_connection_url()
    else:
        yield LOCAL_POSTGRES_URL


@contextmanager
def redis_url(stack: ExitStack) -> Iterator[str]:
    if url := os.environ.get("TASKFORGE_TEST_REDIS_URL"):
        yield url
    elif _docker_available():
        from testcontainers.redis import RedisContainer

        container = stack.enter_context(RedisContainer(REDIS_IMAGE))
        host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"
    else:
        yield LOCAL_REDIS_URL


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"
