"""How many attempts finished, and how, over the last minutes: counted from the
store's one notice per outcome write (counts per queue and status), heard on the
connection this process listens on anyway, so it costs the database
nothing, whatever the number of dashboards reading it."""

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from taskforge_app.ports.clock import Clock
from taskforge_app.ports.job_change_feed import OutcomeCount, OutcomeSink
from taskforge_domain.job_status import JobStatus

BUCKET = timedelta(seconds=10)
KEPT = 90
"""Buckets kept: fifteen minutes."""
_FAILED = frozenset({JobStatus.RETRYING.value, JobStatus.DEAD.value})
_ENDED = _FAILED | {JobStatus.COMPLETED.value}


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


class OutcomeTally(OutcomeSink):
    """Every announced completion, retry and death of the last minutes, per queue, in 10 s
    buckets."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.since = clock.now()
        self._buckets: deque[dict[str, list[int]]] = deque(maxlen=KEPT)
        self._starts: deque[datetime] = deque(maxlen=KEPT)

    def _bucket_start(self, moment: datetime) -> datetime:
        offset = (moment - self.since) // BUCKET
        return self.since + offset * BUCKET

    def _current(self) -> dict[str, list[int]]:
        start = self._bucket_start(self._clock.now())
        if not self._starts or self._starts[-1] != start:
            self._starts.append(start)
            self._buckets.append({})
        return self._buckets[-1]

    def finished(self, counts: list[OutcomeCount]) -> None:
        counted = [count for count in counts if count.status in _ENDED]
        if not counted:
            return
        bucket = self._current()
        for queue, status, count in counted:
            tallied = bucket.setdefault(queue, [0, 0, 0])
            if status == JobStatus.COMPLETED.value:
                tallied[0] += count
            else:
                tallied[1] += count
                if status == JobStatus.DEAD.value:
                    tallied[2] += count

    def queues(self) -> set[str]:
        """The queues with an attempt finished over the fifteen minutes kept."""
        oldest = self._bucket_start(self._clock.now()) - (KEPT - 1) * BUCKET
        return {
            queue
            for start, bucket in zip(self._starts, self._buckets, strict=True)
            if start >= oldest
            for queue in bucket
        }

    def recent(self, span: timedelta, queues: Collection[str] | None = None) -> list[Outcomes]:
        """The buckets of the last `span`, oldest first, empty ones included, summed over
        `queues` (every queue when None)."""
        now = self._bucket_start(self._clock.now())
        first = max(self.since, now - span + BUCKET)
        by_start = dict(zip(self._starts, self._buckets, strict=True))
        buckets = []
        start = self._bucket_start(first)
        while start <= now:
            tallied = by_start.get(start, {})
            chosen = [c for q, c in tallied.items() if queues is None or q in queues]
            buckets.append(
                Outcomes(
                    start,
                    sum(c[0] for c in chosen),
                    sum(c[1] for c in chosen),
                    sum(c[2] for c in chosen),
                )
            )
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
