"""A one-line progress bar redrawn in place, for terminals only."""

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


def render_bar(done: int, total: int, eta_seconds: float | None = None, width: int = WIDTH) -> str:
    """`[#########---------------------]  12/40   30%  eta 7s`."""
    fraction = min(done / total, 1.0) if total else 1.0
    filled = int(width * fraction)
    line = f"[{'#' * filled}{'-' * (width - filled)}]  {done}/{total}  {int(fraction * 100):3d}%"
    if eta_seconds is not None and done < total:
        line += f"  eta {_duration(eta_seconds)}"
    return line


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class ProgressBar:
    """Called as progress(done, total); draws on `stream` only when it is a terminal,
    so logs and pipes never receive carriage returns."""

    def __init__(
        self,
        stream: TextIO,
        label: str,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._label = label
        self._enabled = stream.isatty() if enabled is None else enabled
        self._clock = clock
        self._first: tuple[float, int] | None = None
        self._drawn = False
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if not self._enabled:
            return
        now = self._clock()
        # The pace is measured from the first report on, so the time spent finding the
        # jobs before it does not count.
        if self._first is None:
            self._first = (now, done)
        started_at, started_done = self._first
        eta = None
        if done > started_done:
            eta = (now - started_at) / (done - started_done) * (total - done)
        # ESC[K clears what a longer earlier line (a wider eta) left behind.
        self._stream.write(f"\r{self._label} {render_bar(done, total, eta)}\x1b[K")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """End the bar's line, so what is printed next starts on a line of its own."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False
