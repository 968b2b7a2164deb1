from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from tests.conftest import Services
from tests.e2e.processes import TaskforgeProcess, free_port, wait_until_ready

MAX_ATTEMPTS = 3

# Short delays so retry flows finish in well under a second.
FAST_RETRIES = {
    "SERVICE_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    "BACKOFF_BASE": "20ms",
    "BACKOFF_MAX": "100ms",
    "RETRY_SCHEDULER_INTERVAL": "50ms",
    "WORKER_BLOCK_TIMEOUT": "200ms",
    "SERVICE_TIMEOUT_SECONDS": "30",
    "WORKER_LEASE": "1s",
    "TASKFORGE_HANDLERS": "tests.e2e.sample_handlers",
}


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    api: TaskforgeProcess
    worker: TaskforgeProcess

    @property
    def logs(self) -> str:
        return f"--- api\n{self.api.log}\n--- worker\n{self.worker.log}"


@pytest_asyncio.fixture(scope="session")
async def stack_env(test_services: Services) -> dict[str, str]:
    database_url = await test_services.create_database()
    port = free_port()
    return test_services.environment(
        database_url,
        HTTP_ADDR=f"127.0.0.1:{port}",
        HTTP_BASE_URL=f"http://127.0.0.1:{port}",
        WORKER_CONSUMER_NAME="e2e-worker-{pid}",
        **FAST_RETRIES,
    )


@pytest.fixture(scope="session")
def stack(stack_env: dict[str, str]) -> Iterator[Stack]:
    """One API and one worker (with its retry scheduler), as a user would start them."""
    api = TaskforgeProcess(["api"], stack_env)
    worker = TaskforgeProcess(["worker"], stack_env)
    running = Stack(stack_env["HTTP_BASE_URL"], stack_env, api, worker)
    try:
        wait_until_ready(running.base_url, api)
        yield running
    finally:
        exits = (api.stop(), worker.stop())
    assert exits == (0, 0), running.logs


@pytest_asyncio.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        yield http
