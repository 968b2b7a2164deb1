"""`python -m bench scaling` keeps working: a tiny run end to end, on a PostgreSQL and a
Redis of its own. Its figures are not asserted; BENCHMARKS.md says where they come from."""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_tiny_cluster_run_reads_every_shard_and_keeps_the_standalone_figures(
    tmp_path: Path,
) -> None:
    report = tmp_path / "BENCHMARKS.md"
    standalone = "<!-- scaling:start -->\nthe standalone figures\n<!-- scaling:end -->"
    report.write_text(f"# Benchmarks\n\n{standalone}\n")

    tiny = ["--seed", "7", "--backlog", "600", "--workers", "1,2", "--submits", "200"]
    more = ["--apis", "1", "--clients", "8", "--output", str(report)]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "scaling", "--redis", "cluster", *tiny, *more],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = report.read_text()
    assert standalone in text
    section = text.split("<!-- scaling-cluster:start -->", 1)[1]
    section = section.split("<!-- scaling-cluster:end -->", 1)[0]
    assert "REDIS_CLUSTER=true, QUEUE_PARTITIONS=4" in section
    for label in ("submit, 1 API", "drain, 1 worker", "drain, 2 worker"):
        [row, shards] = [line for line in section.splitlines() if line.startswith(f"| {label}")]
        assert float(row.strip("|").split("|")[2].replace(",", "")) > 0, row
        # One master / replica cell per shard, each a CPU figure.
        cells = [cell.strip() for cell in shards.strip("|").split("|")[1:]]
        assert len(cells) == 3, shards
        assert all(re.fullmatch(r"\d+\.\d / \d+\.\d", cell) for cell in cells), shards
    assert "| run | shard 1 | shard 2 | shard 3 |" in section
    [seeds] = re.findall(r"Redis Cluster nodes: (\S+)", result.stdout)
    for node in seeds.split(","):
        with socket.socket() as sock:
            sock.settimeout(5)
            with pytest.raises(ConnectionRefusedError):
                sock.connect(("127.0.0.1", int(node.rpartition(":")[2])))
