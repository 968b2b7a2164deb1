"""Saving the dashboard's throughput every bucket, and taking it back after a restart."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from taskforge_app.keep_outcome_history import KeepOutcomeHistory
from taskforge_app.outcome_tally import BUCKET, OutcomeTally, total
from taskforge_app.ports import StoreUnavailable
from taskforge_app.ports.job_change_feed import OutcomeCount
from taskforge_app.ports.outcome_history import SavedOutcomes
from taskforge_app.runtime.outcome_history_loop import run_outcome_history_loop
from tests.unit.fakes import FixedClock, ManualTimer, settle


@dataclass
class InMemoryOutcomeHistory:
    """PgOutcomeHistory's rules in a dict: the highest count per bucket and queue wins."""

    rows: dict[tuple[datetime, str], SavedOutcomes] = field(default_factory=dict)
    unavailable: bool = False
    saves: int = 0

    async def load(self, since: datetime) -> list[SavedOutcomes]:
        if self.unavailable:
            raise StoreUnavailable("postgres is down")
        return [row for (start, _), row in sorted(self.rows.items()) if start >= since]

    async def save(self, counts: Sequence[SavedOutcomes], forget_before: datetime) -> None:
        if self.unavailable:
            raise StoreUnavailable("postgres is down")
        self.saves += 1
        for count in counts:
            kept = self.rows.get((count.start, count.queue))
            if kept is not None:
                count = SavedOutcomes(
                    count.start,
                    count.queue,
                    max(kept.completed, count.completed),
                    max(kept.failed, count.failed),
                    max(kept.dead, count.dead),
                )
            self.rows[(count.start, count.queue)] = count
        for key in [key for key in self.rows if key[0] < forget_before]:
            del self.rows[key]


def completed(queue: str, attempts: int) -> list[OutcomeCount]:
    return [OutcomeCount(queue, "completed", attempts)]


async def test_a_restarted_process_shows_what_the_one_before_it_counted(
    clock: FixedClock,
) -> None:
    history = InMemoryOutcomeHistory()
    first = OutcomeTally(clock)
    keep_first = KeepOutcomeHistory(first, history)
    first.finished(completed("default", 4))
    clock.advance(BUCKET)
    first.finished(completed("default", 6))
    assert await keep_first() == 2

    restarted = OutcomeTally(clock)
    await KeepOutcomeHistory(restarted, history)()

    assert total(restarted.recent(timedelta(minutes=15))).completed == 10
    assert restarted.since == first.recent(timedelta(minutes=15))[0].start


async def test_two_processes_hearing_the_same_outcomes_save_them_once(clock: FixedClock) -> None:
    history = InMemoryOutcomeHistory()
    one, other = OutcomeTally(clock), OutcomeTally(clock)
    for tally in (one, other):
        tally.finished(completed("default", 5))
    await KeepOutcomeHistory(one, history)()
    await KeepOutcomeHistory(other, history)()

    [row] = history.rows.values()
    assert row.completed == 5


async def test_counts_a_failed_save_kept_are_saved_by_the_next(clock: FixedClock) -> None:
    history = InMemoryOutcomeHistory()
    tally = OutcomeTally(clock)
    keep = KeepOutcomeHistory(tally, history)
    await keep()
    tally.finished(completed("default", 3))
    history.unavailable = True
    with pytest.raises(StoreUnavailable):
        await keep()

    history.unavailable = False
    assert await keep() == 1
    assert [row.completed for row in history.rows.values()] == [3]


async def test_the_loop_saves_every_interval_and_once_more_on_stop(clock: FixedClock) -> None:
    history = InMemoryOutcomeHistory()
    tally = OutcomeTally(clock)
    keep = KeepOutcomeHistory(tally, history)
    timer, stop = ManualTimer(), asyncio.Event()
    loop = asyncio.create_task(run_outcome_history_loop(keep, BUCKET, stop, timer))
    await settle()

    tally.finished(completed("default", 1))
    await timer.advance(BUCKET.total_seconds())
    assert history.saves == 1
    tally.finished(completed("default", 1))
    history.unavailable = True
    await timer.advance(BUCKET.total_seconds())
    assert history.saves == 1, "an outage delays the save"

    history.unavailable = False
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert history.saves == 2
    assert [row.completed for row in history.rows.values()] == [2]
