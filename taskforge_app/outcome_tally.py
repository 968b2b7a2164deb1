"""How many attempts finished, and how, over the last minutes: counted from the store's
announcements of changed jobs that this process hears anyway, so it costs the database
nothing, whatever the number of dashboards reading it."""

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from taskforge_app.ports.clock import Clock
from taskforge_app.ports.job_change_feed import JobChange, JobChangeSink
from taskforge_domain.job_status import JobStatus

BUCKET = timedelta(seconds=10)
KEPT = 90
"""Buckets kept: fifteen minutes."""
_FAILED = frozenset({JobStatus.RETRYING.value, JobStatus.DEAD.value})


@dataclass(frozen=True, slots=True)
class Outcomes:
    """The attempts that ended in one bucket: `failed` counts retries and deaths."""

    start: datetime
    completed: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def failure_rate(self) -> float | None:
        ended = self.completed + self.failed
        return None if ended == 0 else self.failed / ended


class OutcomeTally(JobChangeSink):
    """Every announced completion, retry and death of the last minutes, in 10 s buckets."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.since = clock.now()
        self._buckets: deque[list[int]] = deque(maxlen=KEPT)
        self._starts: deque[datetime] = deque(maxlen=KEPT)

    def _bucket_start(self, moment: datetime) -> datetime:
        offset = (moment - self.since) // BUCKET
        return self.since + offset * BUCKET

    def _current(self) -> list[int]:
        start = self._bucket_start(self._clock.now())
        if not self._starts or self._starts[-1] != start:
            self._starts.append(start)
            self._buckets.append([0, 0, 0])
        return self._buckets[-1]

    def changed(self, changes: list[JobChange]) -> None:
        counted = [c.status for c in changes if c.status == "completed" or c.status in _FAILED]
        if not counted:
            return
        bucket = self._current()
        for status in counted:
            if status == JobStatus.COMPLETED.value:
                bucket[0] += 1
            else:
                bucket[1] += 1
                bucket[2] += status == JobStatus.DEAD.value

    def resync(self) -> None:
        """Announcements missed while the feed was down are not counted; nothing to redo."""

    def recent(self, span: timedelta) -> list[Outcomes]:
        """The buckets of the last `span`, oldest first, empty ones included."""
        now = self._bucket_start(self._clock.now())
        first = max(self.since, now - span + BUCKET)
        counts = dict(zip(self._starts, self._buckets, strict=True))
        buckets = []
        start = self._bucket_start(first)
        while start <= now:
            completed, failed, dead = counts.get(start, (0, 0, 0))
            buckets.append(Outcomes(start, completed, failed, dead))
            start += BUCKET
        return buckets


def total(buckets: list[Outcomes]) -> Outcomes:
    if not buckets:
        raise ValueError("no bucket to add up")
    return Outcomes(
        buckets[0].start,
        sum(b.completed for b in buckets),
        sum(b.failed for b in buckets),
        sum(b.dead for b in buckets),
    )
