from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from taskforge_app.purge_finished_jobs import PurgeFinishedJobs, Retention
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import FixedClock, InMemoryJobRepository
from tests.unit.test_job_state_machine import job_in


def stored(
    jobs: InMemoryJobRepository, status: JobStatus, age: timedelta, clock: FixedClock
) -> UUID:
    job = replace(job_in(status), updated_at=clock.now() - age)
    jobs.put(job)
    return job.id


async def test_finished_jobs_past_their_retention_are_deleted_and_dead_ones_kept_by_default(
    jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    old_done = stored(jobs, JobStatus.COMPLETED, timedelta(days=8), clock)
    new_done = stored(jobs, JobStatus.COMPLETED, timedelta(days=1), clock)
    old_cancelled = stored(jobs, JobStatus.CANCELLED, timedelta(days=8), clock)
    old_dead = stored(jobs, JobStatus.DEAD, timedelta(days=80), clock)
    old_waiting = stored(jobs, JobStatus.QUEUED, timedelta(days=80), clock)
    week = timedelta(days=7)

    deleted = await PurgeFinishedJobs(jobs, clock, Retention(week, week, None))()

    assert deleted == 2
    assert set(jobs.jobs) == {new_done, old_dead, old_waiting}
    assert old_done not in jobs.jobs
    assert old_cancelled not in jobs.jobs


async def test_a_pass_deletes_in_small_batches_until_nothing_is_left(
    jobs: InMemoryJobRepository, clock: FixedClock
) -> None:
    for _ in range(1200):
        stored(jobs, JobStatus.COMPLETED, timedelta(days=30), clock)

    deleted = await PurgeFinishedJobs(jobs, clock, Retention(timedelta(days=7), None, None))()

    assert deleted == 1200
    batches = [ids for name, ids in jobs.events.entries if name == "store.delete_finished"]
    assert [len(batch) for batch in batches] == [500, 500, 200]
