from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import Services
from tests.e2e.processes import Stack, running_stack, stack_environment

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
    "HTTP_EVENTS_HEARTBEAT": "200ms",
}


@pytest_asyncio.fixture(scope="session")
async def stack_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(test_services, "e2e-worker", FAST_RETRIES)


@pytest.fixture(scope="session")
def stack(stack_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(stack_env) as running:
        yield running


@pytest_asyncio.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        yield http
