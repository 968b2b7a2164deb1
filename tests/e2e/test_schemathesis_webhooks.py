"""The OpenAPI document stays exact with completion webhooks on: callback_url's schema
then takes exactly the URLs on WEBHOOK_ALLOWED_HOSTS that the server takes. A shorter
run than test_schemathesis's, on a stack of its own, over the same checks and phases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment
from tests.e2e.test_schemathesis import run_schemathesis

MAX_SECONDS = 60
WEBHOOKS_ON = {
    # Nothing listens on port 9: the deliveries fail, which is not what this test is about.
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1:9,hooks.example.com",
    "WEBHOOK_SECRET": "schemathesis-webhook-secret",
}


@pytest_asyncio.fixture(scope="module")
async def hooks_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(
        test_services, "schemathesis-hooks-worker", {**FAST_RETRIES, **WEBHOOKS_ON}
    )


@pytest.fixture(scope="module")
def hooks_stack(hooks_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(hooks_env) as running:
        yield running


def test_schemathesis_finds_nothing_with_webhooks_on(hooks_stack: Stack, tmp_path: Path) -> None:
    run_schemathesis(hooks_stack.base_url, tmp_path, MAX_SECONDS)
