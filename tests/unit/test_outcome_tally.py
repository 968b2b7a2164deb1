"""The dashboard's throughput: finished attempts counted per queue from the outcome notices."""

from datetime import timedelta

from taskforge_adapters.postgres.pg_job_change_listener import parse_outcomes
from taskforge_app.outcome_tally import BUCKET, OutcomeTally, bucket_start, total
from taskforge_app.ports.job_change_feed import OutcomeCount
from taskforge_app.ports.outcome_history import SavedOutcomes
from tests.unit.fakes import FixedClock


def ended(queue: str, **counts: int) -> list[OutcomeCount]:
    return [OutcomeCount(queue, status, count) for status, count in counts.items()]


def test_completions_retries_and_deaths_are_counted_per_bucket(clock: FixedClock) -> None:
    tally = OutcomeTally(clock)
    tally.finished(ended("default", completed=2, retrying=1, running=4, cancelled=1))
    clock.advance(BUCKET)
    tally.finished(ended("default", dead=1, completed=1, cancelled=3))

    first, second = tally.recent(timedelta(minutes=1))
    assert (first.completed, first.failed, first.dead) == (2, 1, 0)
    assert (second.completed, second.failed, second.dead) == (1, 1, 1)
    assert first.failure_rate == 1 / 3
    assert second.start - first.start == BUCKET


def test_each_queue_is_counted_apart_and_summed_over_the_chosen_ones(clock: FixedClock) -> None:
    tally = OutcomeTally(clock)
    tally.finished(ended("high", completed=5, dead=1) + ended("low", retrying=3))
    tally.finished(ended("high", completed=2) + ended("bulk", completed=7))

    def over(queues: set[str] | None) -> tuple[int, int, int]:
        summed = total(tally.recent(BUCKET, queues))
        return summed.completed, summed.failed, summed.dead

    assert over({"high"}) == (7, 1, 1)
    assert over({"low"}) == (0, 3, 0)
    assert over({"high", "low"}) == (7, 4, 1)
    assert over(None) == (14, 4, 1)
    assert over({"unknown"}) == (0, 0, 0)
    assert tally.queues() == {"high", "low", "bulk"}


def test_quiet_buckets_show_as_empty_and_old_ones_fall_out(clock: FixedClock) -> None:
    tally = OutcomeTally(clock)
    tally.finished(ended("default", completed=1))
    clock.advance(BUCKET * 3)
    tally.finished(ended("default", completed=1))

    buckets = tally.recent(timedelta(minutes=1))
    assert [b.completed for b in buckets] == [1, 0, 0, 1]
    assert buckets[1].failure_rate is None

    clock.advance(timedelta(minutes=20))
    later = tally.recent(timedelta(minutes=1))
    assert len(later) == 6
    assert total(later).completed == 0
    tally.finished(ended("other", completed=1))
    assert tally.queues() == {"other"}


def test_an_outcome_notice_parses_into_counts_per_queue_and_status() -> None:
    assert parse_outcomes("high:completed:12,low-2:dead:1,bulk_x:retrying:3") == [
        OutcomeCount("high", "completed", 12),
        OutcomeCount("low-2", "dead", 1),
        OutcomeCount("bulk_x", "retrying", 3),
    ]


def test_an_outcome_entry_that_is_not_taskforges_is_skipped() -> None:
    notice = "hello,high:completed:x,:completed:1,high::1,high:dead:0,a:b:c:1,low:dead:-2,ok:dead:2"
    assert parse_outcomes(notice) == [OutcomeCount("ok", "dead", 2)]
    assert parse_outcomes("") == []


def test_buckets_begin_on_the_same_ten_second_marks_in_every_process(clock: FixedClock) -> None:
    clock.advance(timedelta(seconds=3))
    early = OutcomeTally(clock)
    clock.advance(timedelta(seconds=4))
    late = OutcomeTally(clock)
    early.finished(ended("default", completed=1))
    late.finished(ended("default", completed=1))

    [one] = early.take_unsaved()
    [other] = late.take_unsaved()
    assert one.start == other.start == bucket_start(clock.now())
    assert one.start.second % 10 == 0
    assert one.start.microsecond == 0


def test_a_restored_bucket_is_a_floor_so_a_split_bucket_is_never_counted_twice(
    clock: FixedClock,
) -> None:
    before = bucket_start(clock.now()) - BUCKET
    tally = OutcomeTally(clock)
    tally.restore(
        [
            SavedOutcomes(before, "default", 7, 2, 1),
            SavedOutcomes(bucket_start(clock.now()), "default", 3, 0, 0),
        ]
    )
    tally.finished(ended("default", completed=2, retrying=1))

    earlier, now = tally.recent(timedelta(minutes=15))[-2:]
    assert (earlier.completed, earlier.failed, earlier.dead) == (7, 2, 1)
    assert (now.completed, now.failed) == (3, 1), "the higher of heard and saved, per column"
    assert tally.since == before
    assert tally.queues() == {"default"}


def test_only_what_was_heard_is_handed_to_be_saved_and_a_failed_save_hands_it_again(
    clock: FixedClock,
) -> None:
    tally = OutcomeTally(clock)
    tally.restore([SavedOutcomes(bucket_start(clock.now()) - BUCKET, "restored", 9, 0, 0)])
    tally.finished(ended("high", completed=2) + ended("low", dead=1))

    taken = tally.take_unsaved()
    assert {(c.queue, c.completed, c.failed, c.dead) for c in taken} == {
        ("high", 2, 0, 0),
        ("low", 0, 1, 1),
    }
    assert tally.take_unsaved() == []
    tally.unsaved_again(taken)
    tally.finished(ended("high", completed=1))
    assert {(c.queue, c.completed) for c in tally.take_unsaved()} == {("high", 3), ("low", 0)}


def test_saved_buckets_older_than_the_minutes_kept_are_not_restored(clock: FixedClock) -> None:
    tally = OutcomeTally(clock)
    too_old = tally.oldest_kept() - BUCKET
    tally.restore([SavedOutcomes(too_old, "default", 5, 0, 0)])

    assert tally.since == clock.now()
    assert total(tally.recent(timedelta(minutes=15))).completed == 0
    assert tally.queues() == set()
