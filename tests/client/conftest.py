from collections.abc import Iterator

import pytest
import pytest_asyncio

from tests.client.flaky_proxy import FlakyProxy
from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import running_stack, stack_environment


@pytest_asyncio.fixture(scope="session")
async def client_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(test_services, "client-worker", FAST_RETRIES)


@pytest.fixture(scope="session")
def api_url(client_env: dict[str, str]) -> Iterator[str]:
    """The base URL of one real API with one real worker behind it."""
    with running_stack(client_env) as running:
        yield running.base_url


@pytest.fixture
def proxy(api_url: str) -> Iterator[FlakyProxy]:
    with FlakyProxy(api_url) as running:
        yield running
