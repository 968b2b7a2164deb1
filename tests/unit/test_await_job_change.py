"""A dashboard page following a job: one read, then the change feed, never polling."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from taskforge_app.await_job_change import AwaitJobChange
from taskforge_app.callers import ANONYMOUS, Caller
from taskforge_app.job_watchers import JobWatchers
from taskforge_domain.access import Grant, Scope
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from tests.unit.test_job_waiting import CountingLookup

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def queued_job() -> Job:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={}, max_attempts=3, now=NOW)
    return job.enqueue(NOW)


class ResyncingLookup(CountingLookup):
    """Tells its waiters, right after a read, that announcements may have been lost."""

    async def get(self, job_id: UUID) -> Job | None:
        job = await super().get(job_id)
        assert self.watchers is not None
        self.watchers.resync()
        return job


def lookup_of(job: Job, then: Job | None = None) -> tuple[CountingLookup, JobWatchers]:
    """A store holding the job that, right after its first read, announces `then`."""
    store, watchers = CountingLookup(), JobWatchers()
    store.put(job)
    store.watchers = watchers
    store.after_first_read = [] if then is None else [then]
    return store, watchers


async def test_a_change_announced_while_waiting_ends_the_wait_without_another_read() -> None:
    job = queued_job()
    store, watchers = lookup_of(job, then=job.start(NOW, timedelta(seconds=30)))

    awaiting = AwaitJobChange(store, watchers)(job.id, job.revision, 30, ANONYMOUS)

    assert await asyncio.wait_for(awaiting, 5) is True
    assert store.reads == 1
    assert watchers.count == 0


async def test_a_change_made_before_the_wait_is_seen_by_its_one_read() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job.start(NOW, timedelta(seconds=30)))

    assert await AwaitJobChange(store, watchers)(job.id, job.revision, 30, ANONYMOUS) is True
    assert store.reads == 1


async def test_no_change_within_the_wait_is_answered_false_after_one_read() -> None:
    job = queued_job()
    # An announcement of the revision the page already shows is no change.
    store, watchers = lookup_of(job, then=job)

    awaiting = AwaitJobChange(store, watchers)(job.id, job.revision, 0.2, ANONYMOUS)

    assert await asyncio.wait_for(awaiting, 5) is False
    assert store.reads == 1


async def test_lost_announcements_count_as_a_change() -> None:
    store, watchers = ResyncingLookup(), JobWatchers()
    store.watchers = watchers
    job = queued_job()
    store.put(job)

    awaiting = AwaitJobChange(store, watchers)(job.id, job.revision, 30, ANONYMOUS)

    assert await asyncio.wait_for(awaiting, 5) is True


async def test_a_job_of_another_queue_or_none_is_not_found() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    elsewhere = Caller("q", Grant(frozenset({Scope.READ}), frozenset({"no-such-queue"})))

    with pytest.raises(JobNotFound):
        await AwaitJobChange(store, watchers)(job.id, 0, 1, elsewhere)
    with pytest.raises(JobNotFound):
        await AwaitJobChange(store, watchers)(uuid4(), 0, 1, ANONYMOUS)
    assert watchers.count == 0
