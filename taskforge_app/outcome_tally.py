"""How many attempts finished, and how, over the last minutes: counted from the
store's one notice per outcome write (counts per queue and status), heard on the
connection this process listens on anyway, so it costs the database no read,
whatever the number of dashboards reading it. The counts are saved every
bucket (KeepOutcomeHistory), so a process that starts shows the minutes before it."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from taskforge_app.ports.clock import Clock
from taskforge_app.ports.job_change_feed import OutcomeCount, OutcomeSink
from taskforge_app.ports.outcome_history import SavedOutcomes
from taskforge_domain.job_status import JobStatus

BUCKET = timedelta(seconds=10)
KEPT = 90
"""Buckets kept: fifteen minutes."""
_FAILED = frozenset({JobStatus.RETRYING.value, JobStatus.DEAD.value})
_ENDED = _FAILED | {JobStatus.COMPLETED.value}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_Counts = dict[str, list[int]]
"""Per queue: completed, failed (retries and deaths), dead."""


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


def bucket_start(moment: datetime) -> datetime:
    """Buckets begin on the same 10 s marks in every process, so their counts compare."""
    return _EPOCH + (moment - _EPOCH) // BUCKET * BUCKET


class OutcomeTally(OutcomeSink):
    """Every announced completion, retry and death of the last minutes, per queue, in 10 s
    buckets; with what earlier processes saved of the minutes before this one started.

    A restored bucket counts as a floor: this process shows, per queue, the higher of
    what it heard and what was saved, so a bucket that a restart split in two is never
    counted twice.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.since = clock.now()
        """Since when the figures cover: this process's start, or the oldest bucket saved
        before it."""
        self._heard: dict[datetime, _Counts] = {}
        self._restored: dict[datetime, _Counts] = {}
        self._unsaved: set[datetime] = set()

    def oldest_kept(self) -> datetime:
        return bucket_start(self._clock.now()) - (KEPT - 1) * BUCKET

    def finished(self, counts: list[OutcomeCount]) -> None:
        counted = [count for count in counts if count.status in _ENDED]
        if not counted:
            return
        start = bucket_start(self._clock.now())
        if start not in self._heard:
            self._forget_old()
        bucket = self._heard.setdefault(start, {})
        for queue, status, count in counted:
            tallied = bucket.setdefault(queue, [0, 0, 0])
            if status == JobStatus.COMPLETED.value:
                tallied[0] += count
            else:
                tallied[1] += count
                if status == JobStatus.DEAD.value:
                    tallied[2] += count
        self._unsaved.add(start)

    def restore(self, saved: list[SavedOutcomes]) -> None:
        """Take in what earlier processes saved of the minutes kept."""
        oldest = self.oldest_kept()
        for row in saved:
            if row.start < oldest:
                continue
            self._restored.setdefault(row.start, {})[row.queue] = [
                row.completed,
                row.failed,
                row.dead,
            ]
            self.since = min(self.since, row.start)

    def take_unsaved(self) -> list[SavedOutcomes]:
        """What this process heard and has not handed to be saved yet; hand it back with
        `unsaved_again` if the save fails."""
        oldest = self.oldest_kept()
        taken = [
            SavedOutcomes(start, queue, *counts)
            for start in sorted(self._unsaved)
            if start >= oldest
            for queue, counts in self._heard.get(start, {}).items()
        ]
        self._unsaved.clear()
        return taken

    def unsaved_again(self, counts: list[SavedOutcomes]) -> None:
        self._unsaved.update(count.start for count in counts)

    def _forget_old(self) -> None:
        oldest = self.oldest_kept()
        for kept in (self._heard, self._restored):
            for start in [start for start in kept if start < oldest]:
                del kept[start]

    def _bucket(self, start: datetime) -> _Counts:
        heard = self._heard.get(start, {})
        restored = self._restored.get(start)
        if not restored:
            return heard
        merged = {queue: list(counts) for queue, counts in restored.items()}
        for queue, counts in heard.items():
            floor = merged.get(queue, [0, 0, 0])
            merged[queue] = [max(h, f) for h, f in zip(counts, floor, strict=True)]
        return merged

    def queues(self) -> set[str]:
        """The queues with an attempt finished over the fifteen minutes kept."""
        oldest = self.oldest_kept()
        return {
            queue
            for kept in (self._heard, self._restored)
            for start, bucket in kept.items()
            if start >= oldest
            for queue in bucket
        }

    def recent(self, span: timedelta, queues: Collection[str] | None = None) -> list[Outcomes]:
        """The buckets of the last `span`, oldest first, empty ones included, summed over
        `queues` (every queue when None)."""
        now = bucket_start(self._clock.now())
        start = bucket_start(max(self.since, now - span + BUCKET))
        buckets = []
        while start <= now:
            tallied = self._bucket(start)
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
