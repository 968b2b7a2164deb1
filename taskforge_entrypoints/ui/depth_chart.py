"""The overview's chart: each queue's depth over the last readings, as SVG polylines drawn
on the server, so the page needs no charting script."""

from dataclasses import dataclass

from taskforge_entrypoints.ui.overview_snapshot import Reading

WIDTH = 600
HEIGHT = 120


@dataclass(frozen=True, slots=True)
class Line:
    queue: str
    points: str
    latest: int


@dataclass(frozen=True, slots=True)
class Chart:
    lines: list[Line]
    peak: int
    seconds: float


def depth_chart(readings: list[Reading], queues: list[str]) -> Chart:
    if not readings:
        return Chart([], 0, 0.0)
    depths = {
        queue: [next((s.depth for s in r.queues if s.queue == queue), 0) for r in readings]
        for queue in queues
    }
    peak = max([1, *(d for series in depths.values() for d in series)])
    start, end = readings[0].at, readings[-1].at
    span = max((end - start).total_seconds(), 1.0)

    def x(index: int) -> float:
        return (readings[index].at - start).total_seconds() / span * WIDTH

    lines = [
        Line(
            queue,
            " ".join(f"{x(i):.1f},{HEIGHT - d / peak * HEIGHT:.1f}" for i, d in enumerate(series)),
            series[-1],
        )
        for queue, series in depths.items()
    ]
    return Chart(lines, peak, (end - start).total_seconds())
