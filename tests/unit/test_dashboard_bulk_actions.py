"""The dashboard's bulk actions do what their count showed: the confirmation replays the
dead jobs counted, and a ticked job the action no longer applies to is skipped."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from taskforge_domain.job import Job
from taskforge_entrypoints.ui.dead_letters_controller import ReplayForm
from taskforge_entrypoints.ui.job_selection_controller import act_where_it_still_applies

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_the_dry_run_fixes_the_moment_and_the_confirmation_carries_it() -> None:
    counted = ReplayForm({"job_type": "flaky"}, NOW)
    confirmed = ReplayForm(
        {"job_type": "flaky", "dead_before": counted.dead_before.isoformat(), "limit": "3"},
        NOW + timedelta(minutes=5),
    )

    assert counted.query().updated_before == NOW
    assert confirmed.problems == []
    assert confirmed.query().updated_before == NOW, "jobs dead since the count are left out"
    assert confirmed.query().limit == 3


def test_the_dry_run_asks_for_one_more_than_it_replays() -> None:
    form = ReplayForm({"limit": "1000"}, NOW)
    assert (form.paced_limit, form.dry_run_limit) == (1000, 1001)


def test_a_moment_without_its_offset_or_no_moment_at_all_is_named() -> None:
    assert ReplayForm({"dead_before": "2026-12-01T12:00:00"}, NOW).problems
    assert ReplayForm({"dead_before": "yesterday"}, NOW).problems


def queued() -> Job:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={}, max_attempts=3, now=NOW)
    return job.enqueue(NOW)


async def test_a_confirmed_cancel_skips_the_jobs_that_finished_or_were_asked_already() -> None:
    still = queued()
    finished = queued().start(NOW, timedelta(seconds=30)).complete({"ok": 1}, NOW)
    asked = queued().start(NOW, timedelta(seconds=30)).request_cancel(NOW)
    jobs = {job.id: job for job in (still, finished, asked)}
    acted: list[UUID] = []

    async def current(job_id: UUID) -> Job | None:
        return jobs.get(job_id)

    async def act(job_id: UUID) -> object:
        acted.append(job_id)
        return None

    ids = [still.id, finished.id, asked.id, uuid4()]
    done, skipped = await act_where_it_still_applies("cancel", ids, current, act)

    assert (done, skipped) == (1, 3)
    assert acted == [still.id]
