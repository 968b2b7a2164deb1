from collections.abc import Iterator

import pytest
import pytest_asyncio

from tests.client.flaky_proxy import FlakyProxy
from tests.conftest import Services
from tests.e2e.processes import TaskforgeProcess, free_port, wait_until_ready

# Short delays, so a job that dies or is replayed finishes in well under a second.
FAST = {
    "SERVICE_MAX_ATTEMPTS": "3",
    "BACKOFF_BASE": "20ms",
    "BACKOFF_MAX": "100ms",
    "RETRY_SCHEDULER_INTERVAL": "50ms",
    "WORKER_BLOCK_TIMEOUT": "200ms",
    "WORKER_LEASE": "1s",
    "TASKFORGE_HANDLERS": "tests.e2e.sample_handlers",
}


@pytest_asyncio.fixture(scope="session")
async def client_env(test_services: Services) -> dict[str, str]:
    database_url = await test_services.create_database()
    port = free_port()
    return test_services.environment(
        database_url,
        HTTP_ADDR=f"127.0.0.1:{port}",
        HTTP_BASE_URL=f"http://127.0.0.1:{port}",
        WORKER_CONSUMER_NAME="client-worker-{pid}",
        **FAST,
    )


@pytest.fixture(scope="session")
def api_url(client_env: dict[str, str]) -> Iterator[str]:
    """The base URL of one real API with one real worker behind it."""
    api = TaskforgeProcess(["api"], client_env)
    worker = TaskforgeProcess(["worker"], client_env)
    try:
        wait_until_ready(client_env["HTTP_BASE_URL"], api)
        yield client_env["HTTP_BASE_URL"]
    finally:
        exits = (api.stop(), worker.stop())
    assert exits == (0, 0), f"--- api\n{api.log}\n--- worker\n{worker.log}"


@pytest.fixture
def proxy(api_url: str) -> Iterator[FlakyProxy]:
    with FlakyProxy(api_url) as running:
        yield running
