"""The OpenAPI document stays exact with completion webhooks on: callback_url's schema
then takes exactly the URLs on WEBHOOK_ALLOWED_HOSTS that the server takes. A shorter
run than test_schemathesis's, on a stack of its own, over the same checks and phases."""

import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import PROJECT_ROOT, Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment
from tests.e2e.test_schemathesis import CI_SEED, HOOKS, REQUEST_TIMEOUT, schemathesis_command

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
    seed = CI_SEED if os.environ.get("CI") == "true" else random.randrange(2**31)
    command = schemathesis_command(hooks_stack.base_url, seed)
    command[command.index("--max-time") + 1] = str(MAX_SECONDS)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(PROJECT_ROOT)}

    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS + 2 * REQUEST_TIMEOUT + 60,
        check=False,
    )

    report = result.stdout[result.stdout.find("=====") :]
    found_nothing = result.returncode == 0 and "=== FAILURES ===" not in result.stdout
    assert found_nothing, f"seed {seed}:\n{report[:12000]}{result.stderr[-2000:]}"
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in result.stdout or f"✅  {phase}" in result.stdout, report
