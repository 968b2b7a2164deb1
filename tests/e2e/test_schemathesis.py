"""The OpenAPI document is exact: schemathesis, with every check and every phase (examples,
coverage, fuzzing, stateful), finds no server error, no answer off the schema, no
request the schema allows that the server refuses and none it forbids that the server
takes.

It runs against a stack of its own (an API and a worker on a database of their own), so
the jobs it makes up never meet another test's. CI (CI=true) runs one fixed seed; a run
elsewhere draws a new one, printed in the summary, to look further each time."""

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.conftest import PROJECT_ROOT, Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import Stack, running_stack, stack_environment, taskforge

CI_SEED = 20261201
MAX_SECONDS = 120
AUTH_MAX_SECONDS = 60
# Above the 10 s the max_response_time check allows, so a slow answer is reported as slow.
REQUEST_TIMEOUT = 20
HOOKS = "tests.e2e.schemathesis_hooks"


@pytest_asyncio.fixture(scope="module")
async def own_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(test_services, "schemathesis-worker", FAST_RETRIES)


@pytest.fixture(scope="module")
def own_stack(own_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(own_env) as running:
        yield running


def schemathesis_command(
    base_url: str,
    seed: int,
    max_seconds: int = MAX_SECONDS,
    config: Path | None = None,
    schema: Path | None = None,
) -> list[str]:
    return [
        str(Path(sys.executable).with_name("st")),
        *(("--config-file", str(config)) if config else ()),
        "run",
        *((str(schema), "--url", base_url) if schema else (f"{base_url}/docs/openapi.json",)),
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(seed),
        "--max-time",
        str(max_seconds),
        "--request-timeout",
        str(REQUEST_TIMEOUT),
        "--generation-database",
        "none",
        "--no-color",
    ]


def run_schemathesis(
    base_url: str, tmp_path: Path, max_seconds: int = MAX_SECONDS, token: str | None = None
) -> None:
    seed = CI_SEED if os.environ.get("CI") == "true" else random.randrange(2**31)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS,
        "PYTHONPATH": str(PROJECT_ROOT),
        "TASKFORGE_SCHEMATHESIS_BASE_URL": base_url,
    }
    config = schema = None
    if token is not None:
        # Tied to the document's security scheme, so schemathesis knows which header is
        # the credential: its auth checks leave it out or spoil it on purpose. The
        # document itself needs the key too, so it is fetched here.
        config = tmp_path / "schemathesis.toml"
        config.write_text('[auth.openapi.bearer]\nbearer = "${TASKFORGE_TEST_KEY}"\n')
        env["TASKFORGE_TEST_KEY"] = token
        schema = tmp_path / "openapi.json"
        document = httpx.get(
            f"{base_url}/docs/openapi.json", headers={"Authorization": f"Bearer {token}"}
        )
        schema.write_bytes(document.raise_for_status().content)

    result = subprocess.run(
        schemathesis_command(base_url, seed, max_seconds, config, schema),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=max_seconds + 2 * REQUEST_TIMEOUT + 60,
        check=False,
    )

    # From the first section header on; all of it when schemathesis stopped before one.
    report = result.stdout[max(result.stdout.find("====="), 0) :]
    # A warning (an operation that mostly met 404s) is about the run's reach, not a finding.
    found_nothing = result.returncode == 0 and "=== FAILURES ===" not in result.stdout
    assert found_nothing, f"seed {seed}:\n{report[:12000]}{result.stderr[-2000:]}"
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in result.stdout or f"✅  {phase}" in result.stdout, report


def test_schemathesis_finds_nothing_with_all_checks_and_phases(
    own_stack: Stack, tmp_path: Path
) -> None:
    run_schemathesis(own_stack.base_url, tmp_path)


@pytest_asyncio.fixture(scope="module")
async def auth_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(
        test_services, "schemathesis-auth-worker", FAST_RETRIES | {"API_AUTH": "required"}
    )


def test_schemathesis_finds_nothing_with_keys_required(
    auth_env: dict[str, str], tmp_path: Path
) -> None:
    """The document of API_AUTH=required: bearer on every operation, 401 and 403 answers;
    schemathesis's auth checks also send requests without the key and with a wrong one."""
    with running_stack(auth_env) as stack:
        made = taskforge(
            "keys", "create", "--name", "schemathesis", "--scopes", "admin", "--json", env=stack.env
        )
        assert made.returncode == 0, made.stderr
        token = json.loads(made.stdout)["token"]
        run_schemathesis(stack.base_url, tmp_path, AUTH_MAX_SECONDS, token)
