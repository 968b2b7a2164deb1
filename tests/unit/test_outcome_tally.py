"""The dashboard's throughput: finished attempts counted from the change announcements."""

from datetime import timedelta
from uuid import uuid4

from taskforge_app.job_change_listeners import JobChangeListeners
from taskforge_app.outcome_tally import BUCKET, OutcomeTally, total
from taskforge_app.ports.job_change_feed import JobChange
from tests.unit.fakes import FixedClock


def announced(*statuses: str) -> list[JobChange]:
    return [JobChange(uuid4(), 3, status) for status in statuses]


def test_completions_retries_and_deaths_are_counted_per_bucket(clock: FixedClock) -> None:
    tally = OutcomeTally(clock)
    tally.changed(announced("completed", "completed", "retrying", "running", "queued"))
    clock.advance(BUCKET)
    tally.changed(announced("dead", "completed", "cancelled"))

    first, second = tally.recent(timedelta(minutes=1))
    assert (first.completed, first.failed, first.dead) == (2, 1, 0)
    assert (second.completed, second.failed, second.dead) == (1, 1, 1)
    assert first.failure_rate == 1 / 3
    assert second.start - first.start == BUCKET


def test_quiet_buckets_show_as_empty_and_old_ones_fall_out(clock: FixedClock) -> None:
    tally = OutcomeTally(clock)
    tally.changed(announced("completed"))
    clock.advance(BUCKET * 3)
    tally.changed(announced("completed"))

    buckets = tally.recent(timedelta(minutes=1))
    assert [b.completed for b in buckets] == [1, 0, 0, 1]
    assert buckets[1].failure_rate is None

    clock.advance(timedelta(minutes=2))
    later = tally.recent(timedelta(minutes=1))
    assert len(later) == 6
    assert total(later).completed == 0


def test_every_listener_hears_every_change_and_every_resync(clock: FixedClock) -> None:
    heard: list[str] = []

    class Recorder:
        def changed(self, changes: list[JobChange]) -> None:
            heard.extend(change.status for change in changes)

        def resync(self) -> None:
            heard.append("resync")

    tally = OutcomeTally(clock)
    listeners = JobChangeListeners([Recorder(), tally])
    listeners.changed(announced("completed"))
    listeners.resync()

    assert heard == ["completed", "resync"]
    assert total(tally.recent(BUCKET)).completed == 1
