"""Reads the recording handler's logs and finds attempts of one job that ran at once."""

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Execution:
    job_id: str
    attempt: int
    pid: int
    started: float
    ended: float


def executions(log_dir: Path, killed_at: dict[int, float]) -> list[Execution]:
    """Every run of a handler; one cut short by SIGKILL ends when its process was killed."""
    starts: dict[tuple[str, int, int], float] = {}
    ends: dict[tuple[str, int, int], float] = {}
    for path in log_dir.glob("*.log"):
        for line in path.read_text().splitlines():
            event, job_id, attempt, pid, at = line.split()
            key = (job_id, int(attempt), int(pid))
            (starts if event == "start" else ends)[key] = float(at)
    return [
        Execution(*key, started, ends.get(key, killed_at.get(key[2], math.inf)))
        for key, started in starts.items()
    ]


def overlapping(runs: list[Execution]) -> list[tuple[Execution, Execution]]:
    by_job: dict[str, list[Execution]] = defaultdict(list)
    for run in runs:
        by_job[run.job_id].append(run)
    found = []
    for job_runs in by_job.values():
        job_runs.sort(key=lambda run: run.started)
        longest = job_runs[0]
        for later in job_runs[1:]:
            if later.started < longest.ended:
                found.append((longest, later))
            if later.ended > longest.ended:
                longest = later
    return found


def runs_per_attempt(runs: list[Execution]) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for run in runs:
        counts[(run.job_id, run.attempt)] += 1
    return counts
