"""`make bench` (`python -m bench`) keeps working: a tiny run end to end. Timings are not
asserted here; performance claims come from `make bench` on a quiet machine (BENCHMARKS.md).
"""

import subprocess
import sys
from pathlib import Path

from bench.million import PAGES
from tests.conftest import PROJECT_ROOT, Services


def test_a_tiny_bench_run_prints_and_writes_every_measurement(
    test_services: Services, tmp_path: Path
) -> None:
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nNotes kept across runs.\n")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--seed",
            "7",
            "--single",
            "200",
            "--clients",
            "8",
            "--batch",
            "1000",
            "--sequential",
            "200",
            "--drain",
            "300",
            "--workers",
            "1,2",
            "--light-rate",
            "50",
            "--latency-seconds",
            "1",
            "--memory-backlog",
            "500",
            "--listing-rows",
            "2000",
            "--waiters",
            "50",
            "--sql-enqueue",
            "300",
            "--postgres",
            test_services.admin_url,
            "--redis",
            test_services.redis_url.removeprefix("redis://").split("/")[0],
            "--output",
            str(report),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    written = report.read_text()
    assert "Notes kept across runs." in written
    assert "seed 7" in written
    assert 'with `make bench BENCH_ARGS="--seed 7 --single 200' in written
    for measurement in ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)", "(h)", "(i)", "(j)"):
        assert measurement in written
    assert written.count("worker process") == 2


def test_a_tiny_limits_bench_run_prints_every_kind_of_drain(test_services: Services) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "limits",
            "--seed",
            "7",
            "--rounds",
            "1",
            "--backlog",
            "300",
            "--held-to",
            "20",
            "--claim-rows",
            "400",
            "--postgres",
            test_services.admin_url,
            "--redis",
            test_services.redis_url.removeprefix("redis://").split("/")[0],
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "the anti-join's cost per claimed job" in result.stdout
    kinds = (
        "unlimited",
        "other type limited",
        "limited, never full",
        "limited to 20",
        "queue limited to 20",
        "unlimited, 20 slots",
    )
    for kind in kinds:
        assert f"| {kind} |" in result.stdout


def test_a_tiny_million_bench_run_writes_every_page(
    test_services: Services, tmp_path: Path
) -> None:
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nNotes kept across runs.\n")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "million",
            "--rows",
            "3000",
            "--requests",
            "3",
            "--postgres",
            test_services.admin_url,
            "--redis",
            test_services.redis_url.removeprefix("redis://").split("/")[0],
            "--output",
            str(report),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    written = report.read_text()
    assert "Notes kept across runs." in written
    assert "3,000 jobs seeded" in written
    assert "`make bench BENCH_ARGS='million --rows 3000" in written
    for name, path in PAGES:
        assert f"| {name} | `{path}` |" in written
    assert "load average" in written


def test_a_tiny_payload_index_bench_run_compares_both_kinds(test_services: Services) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "payload-index",
            "--backlog",
            "1000",
            "--rounds",
            "1",
            "--seed",
            "3",
            "--postgres",
            test_services.admin_url,
            "--redis",
            test_services.redis_url.removeprefix("redis://").split("/")[0],
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "| with the index |" in result.stdout
    assert "| without it |" in result.stdout


def test_a_tiny_outcome_notice_bench_run_pairs_both_statements(test_services: Services) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "outcome-notice",
            "--writes",
            "2",
            "--size",
            "30",
            "--postgres",
            test_services.admin_url,
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "with the notice: median" in result.stdout
    assert "without it: median" in result.stdout
    assert "per write of 30 outcomes" in result.stdout
