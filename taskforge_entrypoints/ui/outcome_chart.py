"""The overview's throughput chart: attempts completed and failed per 10 s over the last
minutes, as SVG bars drawn on the server."""

from dataclasses import dataclass
from datetime import timedelta

from taskforge_app.outcome_tally import BUCKET, Outcomes, total

WIDTH = 600
HEIGHT = 120
SPAN = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    completed_height: float
    failed_height: float
    label: str


@dataclass(frozen=True, slots=True)
class Window:
    minutes: int
    outcomes: Outcomes
    seconds: float
    """What the window covers: less than its minutes while the process is younger."""

    @property
    def per_second(self) -> float:
        return (self.outcomes.completed + self.outcomes.failed) / self.seconds

    @property
    def completed_per_minute(self) -> float:
        return self.outcomes.completed * 60 / self.seconds

    @property
    def failed_per_minute(self) -> float:
        return self.outcomes.failed * 60 / self.seconds


@dataclass(frozen=True, slots=True)
class OutcomeChart:
    bars: list[Bar]
    peak: int
    windows: list[Window]


def outcome_chart(buckets: list[Outcomes]) -> OutcomeChart:
    peak = max([1, *(b.completed + b.failed for b in buckets)])
    # Always the whole span's slots, the latest at the right, so a young process's few
    # buckets do not fill the chart.
    slot = WIDTH / (SPAN / BUCKET)
    offset = WIDTH - len(buckets) * slot
    bars = [
        Bar(
            x=offset + index * slot,
            width=max(slot - 1, 1),
            completed_height=b.completed / peak * HEIGHT,
            failed_height=b.failed / peak * HEIGHT,
            label=f"{b.start:%H:%M:%S}: {b.completed} completed, {b.failed} failed",
        )
        for index, b in enumerate(buckets)
    ]
    windows = []
    for minutes in (1, 5, 15) if buckets else ():
        covered = buckets[-int(timedelta(minutes=minutes) / BUCKET) :]
        windows.append(Window(minutes, total(covered), len(covered) * BUCKET.total_seconds()))
    return OutcomeChart(bars, peak, windows)
