"""Handlers' progress: checked where it is reported, coalesced before it is written."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from taskforge_app.job_context import context_of
from taskforge_app.ports import StoreUnavailable
from taskforge_app.ports.progress_store import ProgressReport
from taskforge_app.progress_reports import CoalescedProgress
from taskforge_domain.job import Job
from taskforge_domain.job_progress import PROGRESS_MESSAGE_MAX_LENGTH, Progress

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class RecordingStore:
    def __init__(self) -> None:
        self.writes: list[list[ProgressReport]] = []
        self.down = False

    async def write_progress(self, reports: Sequence[ProgressReport]) -> None:
        self.writes.append(list(reports))
        if self.down:
            raise StoreUnavailable("connection refused")


def running_job() -> Job:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={}, max_attempts=3, now=NOW)
    return job.enqueue(NOW).start(NOW, timedelta(seconds=30))


async def test_rapid_reports_are_written_first_at_once_then_the_latest_only() -> None:
    store = RecordingStore()
    sink = CoalescedProgress(store, interval=0.05)
    job = running_job()
    view = context_of(job, sink)

    view.report_progress(0.1, "started")
    await asyncio.sleep(0)
    for step in range(2, 10):
        view.report_progress(step / 10, f"step {step}")
    await sink.flushed()

    assert [[(r.progress.fraction, r.progress.message) for r in w] for w in store.writes] == [
        [(0.1, "started")],
        [(0.9, "step 9")],
    ]
    assert {r.attempt for w in store.writes for r in w} == {job.attempt}


async def test_reports_of_several_jobs_share_one_write() -> None:
    store = RecordingStore()
    sink = CoalescedProgress(store, interval=0)
    first, second = running_job(), running_job()

    context_of(first, sink).report_progress(0.5)
    context_of(second, sink).report_progress(0.25, "a quarter")
    await sink.flushed()

    assert [[r.job_id for r in write] for write in store.writes] == [[first.id, second.id]]


async def test_a_store_outage_loses_only_those_reports() -> None:
    store = RecordingStore()
    store.down = True
    sink = CoalescedProgress(store, interval=0)
    view = context_of(running_job(), sink)

    view.report_progress(0.5)
    await sink.flushed()
    store.down = False
    view.report_progress(0.75)
    await sink.flushed()

    assert [w[0].progress.fraction for w in store.writes] == [0.5, 0.75]


def test_a_view_without_a_worker_takes_reports_and_drops_them() -> None:
    context_of(running_job()).report_progress(1.0, "done")


@pytest.mark.parametrize(
    ("fraction", "message", "error"),
    [
        (-0.1, "", ValueError),
        (1.5, "", ValueError),
        (float("nan"), "", ValueError),
        (True, "", TypeError),
        ("0.5", "", TypeError),
        (0.5, "x" * (PROGRESS_MESSAGE_MAX_LENGTH + 1), ValueError),
        (0.5, "nul\x00", ValueError),
        (0.5, 7, TypeError),
    ],
)
def test_progress_out_of_its_bounds_is_refused(
    fraction: object, message: object, error: type
) -> None:
    with pytest.raises(error):
        context_of(running_job()).report_progress(fraction, message)  # type: ignore[arg-type]


def test_progress_within_its_bounds_is_kept_as_given() -> None:
    assert Progress(0, "").fraction == 0
    assert Progress(1, "x" * PROGRESS_MESSAGE_MAX_LENGTH).fraction == 1
