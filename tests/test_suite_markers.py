"""Every test carries the marker of its suite, so `-m unit` or `-m faults` selects a suite whole."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SUITE_MARKERS, TESTS_ROOT, suite_marker

# Runs pytest's collection in a process of its own and writes each test's markers to a file.
COLLECT = """
import json, sys
import pytest

class Markers:
    def pytest_collection_finish(self, session):
        found = {item.nodeid: [m.name for m in item.iter_markers()] for item in session.items}
        with open(sys.argv[1], "w") as out:
            json.dump(found, out)

sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[Markers()]))
"""


def markers_of_every_test(tmp_path: Path) -> dict[str, list[str]]:
    report = tmp_path / "markers.json"
    result = subprocess.run(
        [sys.executable, "-c", COLLECT, str(report)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found: dict[str, list[str]] = json.loads(report.read_text())
    return found


def test_each_test_has_the_marker_of_its_directory_and_no_other_suites(tmp_path: Path) -> None:
    found = markers_of_every_test(tmp_path)

    suites = set(SUITE_MARKERS.values())
    by_directory: dict[str, set[str]] = {}
    for node, marks in found.items():
        # tests/<suite>/.../test_x.py::name, or tests/test_x.py::name for the top level
        parts = Path(node.split("::")[0]).parts
        directory = parts[1] if len(parts) > 2 else "(top level)"
        by_directory.setdefault(directory, set()).update(suites.intersection(marks))
        assert len(suites.intersection(marks)) <= 1, node
    assert by_directory.pop("(top level)") == set()
    assert by_directory == {
        directory: {marker}
        for directory, marker in SUITE_MARKERS.items()
        if directory in by_directory
    }
    assert {"unit", "integration", "e2e", "faults"} <= set(by_directory)


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("unit/test_backoff.py", "unit"),
        ("contracts/test_job_store_contract.py", "contract"),
        ("integration/test_migrations.py", "integration"),
        ("e2e/test_job_flows.py", "e2e"),
        ("faults/test_outages.py", "faults"),
        ("test_layering.py", None),
    ],
)
def test_a_test_file_gets_the_marker_of_the_suite_directory_it_is_in(
    path: str, marker: str | None
) -> None:
    assert suite_marker(TESTS_ROOT / path) == marker
