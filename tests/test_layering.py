"""The hexagon's layering is a failing check, not a wish: lint-imports catches a breach."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PACKAGES = (
    "taskforge_domain",
    "taskforge_app",
    "taskforge_adapters",
    "taskforge_entrypoints",
    "taskforge_client",
)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_of_the_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(PROJECT_ROOT)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden_import", "broken_contract"),
    [
        (
            "taskforge_entrypoints/rest/jobs_controller.py",
            "import asyncpg",
            "REST never touches infrastructure",
        ),
        (
            "taskforge_entrypoints/rest/health_controller.py",
            "from taskforge_adapters.system_clock import SystemClock",
            "REST never touches infrastructure",
        ),
        (
            "taskforge_entrypoints/operator_cli/runner.py",
            "import asyncpg",
            "The operator CLI never touches infrastructure",
        ),
        (
            "taskforge_entrypoints/operator_cli/dlq_commands.py",
            "from taskforge_adapters.system_clock import SystemClock",
            "The operator CLI never touches infrastructure",
        ),
        (
            "taskforge_entrypoints/operator_cli/json_output.py",
            "from taskforge_entrypoints.rest.schemas import JobPage",
            "The operator CLI and REST do not import each other",
        ),
        (
            "taskforge_entrypoints/rest/jobs_controller.py",
            "from taskforge_entrypoints.operator_cli.tables import jobs_table",
            "The operator CLI and REST do not import each other",
        ),
        (
            "taskforge_entrypoints/presentation/job_json.py",
            "import litestar",
            "Presentation knows neither REST nor the CLI",
        ),
        ("taskforge_domain/job.py", "import redis", "Domain and use cases import no framework"),
        (
            "taskforge_app/submit_job.py",
            "import litestar",
            "Domain and use cases import no framework",
        ),
        (
            "taskforge_app/get_job.py",
            "from taskforge_adapters.system_clock import SystemClock",
            "Hexagon: entrypoints > adapters > app > domain",
        ),
        (
            "taskforge_client/jobs.py",
            "from taskforge_domain.job_status import JobStatus",
            "The Python client imports nothing of the service",
        ),
        (
            "taskforge_client/calls.py",
            "from taskforge_entrypoints.presentation.job_json import JobOut",
            "The Python client imports nothing of the service",
        ),
    ],
)
def test_a_forbidden_import_makes_lint_imports_fail(
    tmp_path: Path, module: str, forbidden_import: str, broken_contract: str
) -> None:
    root = copy_of_the_tree(tmp_path)
    target = root / module
    target.write_text(f"{forbidden_import}  # noqa\n{target.read_text()}")

    result = lint_imports(root)

    assert result.returncode != 0
    assert f"{broken_contract}" in result.stdout
    assert "BROKEN" in result.stdout
