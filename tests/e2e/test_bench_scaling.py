"""`python -m bench scaling` keeps working: a tiny run end to end, on a PostgreSQL and a
Redis of its own. Its figures are not asserted; BENCHMARKS.md says where they come from."""

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def test_a_tiny_scaling_run_writes_every_run_and_the_model(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nNotes kept across runs.\n")

    tiny = ["--seed", "7", "--backlog", "600", "--workers", "1,2", "--submits", "200"]
    more = ["--apis", "1,2", "--clients", "8", "--output", str(report)]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "scaling", *tiny, *more],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = report.read_text()
    assert text.startswith("# Benchmarks\n\nNotes kept across runs.\n")
    section = text.split("<!-- scaling:start -->", 1)[1].split("<!-- scaling:end -->", 1)[0]
    for label in ("submit, 1 API", "submit, 2 API", "drain, 1 worker", "drain, 2 worker"):
        [row] = [line for line in section.splitlines() if line.startswith(f"| {label}")]
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 8, row
        assert float(cells[2].replace(",", "")) > 0, row
    assert re.search(r"a 32-core primary carries [\d,]+ jobs/s", section)
    assert "bytes of WAL per job" in section
