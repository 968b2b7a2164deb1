"""How much the JobContext a handler receives adds to each attempt on the worker's hot path.

Run with the project's interpreter: `.venv/bin/python -m bench.job_context_cost`.
"""

import logging
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from taskforge_app.job_context import context_of
from taskforge_domain.job import Job

ROUNDS, REPEATS = 200_000, 7


def claimed(payload: dict[str, object]) -> Job:
    now = datetime.now(UTC)
    job = Job.submit(job_id=uuid4(), job_type="noop", payload=payload, max_attempts=5, now=now)
    return job.enqueue(now).start(now, timedelta(seconds=30), worker="worker-1")


def microseconds(step: Callable[[], object]) -> float:
    return min(timeit.repeat(step, number=ROUNDS, repeat=REPEATS)) / ROUNDS * 1e6


def main() -> None:
    # Below the level, as on a worker at INFO whose handler logs at DEBUG.
    logging.getLogger("taskforge.handlers").setLevel(logging.INFO)
    flat = claimed({"ts": 1.5})
    nested = claimed({"url": "https://img/1.png", "sizes": [64, 128], "crop": {"x": 1, "y": 2}})
    now = datetime.now(UTC)
    steps: dict[str, Callable[[], object]] = {
        "for scale: one domain transition, Job.complete": lambda: flat.complete(None, now),
        "view": lambda: context_of(flat),
        "view + log adapter": lambda: context_of(flat).log,
        "view + log adapter + a record below the level": lambda: context_of(flat).log.debug("x"),
        "view + log adapter + payload {'ts': 1.5}": lambda: (
            v := context_of(flat),
            v.log,
            v.payload,
        ),
        "view + payload of 3 keys, 2 nested": lambda: context_of(nested).payload,
    }
    for name, step in steps.items():
        print(f"{microseconds(step):6.2f} us  {name}")


if __name__ == "__main__":
    main()
