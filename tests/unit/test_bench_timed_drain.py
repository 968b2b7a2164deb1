"""The scaling bench's drain timing when the whole backlog finishes before its first
reading: timed from the workers' start, never a drain of no jobs."""

from typing import Any

from bench.scaling_runs import _timed_drain


class Drained:
    """A database whose backlog was finished before anyone asked."""

    def __init__(self, backlog: int) -> None:
        self.backlog = backlog

    async def fetchval(self, _: str) -> int:
        return self.backlog


class CpuClock:
    def __init__(self) -> None:
        self.readings = 0

    def read(self) -> dict[str, float]:
        self.readings += 1
        return {"workers": float(self.readings)}


async def test_a_backlog_drained_before_the_first_reading_counts_every_job() -> None:
    meter: Any = CpuClock()

    run = await _timed_drain(Drained(600), meter, 600)  # type: ignore[arg-type]

    assert run.jobs == 600
    assert run.seconds > 0
    assert run.cpu_us_per_job("workers") > 0
