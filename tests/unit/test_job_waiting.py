"""Waiting on a job in the API process: waiters woken by the change feed, never polling."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from taskforge_app.follow_job import FinishedAttempt, FollowJob, JobSnapshot
from taskforge_app.job_watchers import JobWatchers
from taskforge_app.ports import Attempt
from taskforge_app.ports.job_change_feed import JobChange
from taskforge_app.wait_for_job import WaitForJob
from taskforge_domain.errors import JobNotFound
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import InMemoryJobRepository

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def queued_job() -> Job:
    job = Job.submit(job_id=uuid4(), job_type="resize", payload={}, max_attempts=3, now=NOW)
    return job.enqueue(NOW)


class CountingLookup(InMemoryJobRepository):
    """Counts reads, and may change the job right after a read (a change racing the wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.after_first_read: list[Job] = []
        self.watchers: JobWatchers | None = None

    async def get(self, job_id: UUID) -> Job | None:
        self.reads += 1
        job = await super().get(job_id)
        if self.after_first_read and self.watchers is not None:
            changed = self.after_first_read.pop(0)
            self.put(changed)
            self.watchers.changed([JobChange(changed.id, changed.revision, changed.status)])
        return job


def change(store: CountingLookup, watchers: JobWatchers, job: Job) -> None:
    store.put(job)
    watchers.changed([JobChange(job.id, job.revision, job.status.value)])


async def test_a_finished_job_is_answered_at_once_with_one_read() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job().start(NOW, timedelta(seconds=30)).complete({"ok": 1}, NOW)
    store.put(job)

    answered = await WaitForJob(store, watchers)(job.id, 60)

    assert answered == job
    assert store.reads == 1
    assert watchers.count == 0


async def test_a_waiter_is_answered_when_its_job_completes() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    waiting = asyncio.create_task(WaitForJob(store, watchers)(job.id, 30))
    await asyncio.sleep(0)
    running = job.start(NOW, timedelta(seconds=30))

    change(store, watchers, running)
    await asyncio.sleep(0)
    change(store, watchers, running.complete(None, NOW))
    answered = await asyncio.wait_for(waiting, 1)

    assert answered.status is JobStatus.COMPLETED
    # The first read, then one for the end: a change that is not the end costs no read.
    assert store.reads == 2
    assert watchers.count == 0


async def test_a_change_between_the_read_and_the_wait_is_not_missed() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    store.watchers = watchers
    store.after_first_read = [job.start(NOW, timedelta(seconds=30)).kill("no", NOW)]

    answered = await asyncio.wait_for(WaitForJob(store, watchers)(job.id, 30), 1)

    assert answered.status is JobStatus.DEAD


async def test_a_wait_that_ends_answers_the_job_as_it_is() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)

    answered = await WaitForJob(store, watchers)(job.id, 0.05)

    assert answered == job
    assert watchers.count == 0


async def test_a_wait_that_ends_after_a_change_answers_the_changed_job() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    waiting = asyncio.create_task(WaitForJob(store, watchers)(job.id, 0.05))
    await asyncio.sleep(0)
    running = job.start(NOW, timedelta(seconds=30))

    change(store, watchers, running)
    answered = await asyncio.wait_for(waiting, 1)

    assert answered == running


async def test_a_wait_that_ends_answers_a_change_nobody_announced() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    waiting = asyncio.create_task(WaitForJob(store, watchers)(job.id, 0.05))
    await asyncio.sleep(0)
    cancelled = job.cancel(NOW)

    store.put(cancelled)  # an operator's SQL: no notice
    answered = await asyncio.wait_for(waiting, 1)

    assert answered == cancelled


async def test_a_resync_makes_every_waiter_read_again() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    waiting = asyncio.create_task(WaitForJob(store, watchers)(job.id, 30))
    await asyncio.sleep(0)

    store.put(job.start(NOW, timedelta(seconds=30)).complete(None, NOW))  # not announced
    watchers.resync()
    answered = await asyncio.wait_for(waiting, 1)

    assert answered.status is JobStatus.COMPLETED


async def test_an_unknown_job_or_a_wait_out_of_range_is_refused() -> None:
    wait = WaitForJob(CountingLookup(), JobWatchers())

    with pytest.raises(JobNotFound):
        await wait(uuid4(), 1)
    for seconds in (0, -1, 60.5):
        with pytest.raises(ValueError, match="wait"):
            await wait(uuid4(), seconds)


async def next_events(events, count: int) -> list[object]:  # type: ignore[no-untyped-def]
    return [await asyncio.wait_for(anext(events), 1) for _ in range(count)]


async def test_a_follower_gets_the_job_then_every_change_until_it_finishes() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    following = await FollowJob(store, watchers)(job.id)
    events = following.events(heartbeat=30)
    running = job.start(NOW, timedelta(seconds=30))
    done = running.complete({"ok": 1}, NOW)

    first = await next_events(events, 1)
    change(store, watchers, running)
    second = await next_events(events, 1)
    change(store, watchers, done)
    third = await next_events(events, 1)
    rest = [event async for event in events]

    assert [first, second, third] == [
        [JobSnapshot(job)],
        [JobSnapshot(running)],
        [JobSnapshot(done)],
    ]
    assert rest == []
    assert watchers.count == 0


async def test_an_idle_follower_gets_a_heartbeat() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    events = (await FollowJob(store, watchers)(job.id)).events(heartbeat=0.01)

    assert await next_events(events, 2) == [JobSnapshot(job), None]
    await events.aclose()
    assert watchers.count == 0


def failed_attempt(job: Job, number: int) -> Attempt:
    return Attempt(number, "worker-1", NOW, NOW, "retrying", f"attempt {number} failed")


async def test_a_resumed_follower_gets_the_history_then_the_job_as_it_is() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = replace(queued_job(), revision=1)
    done = replace(job, status=JobStatus.COMPLETED, attempt=2, revision=6)
    store.put(done)
    store.history[job.id] = {1: failed_attempt(job, 1)}

    events = (await FollowJob(store, watchers)(job.id, after_revision=1)).events(heartbeat=30)

    assert [event async for event in events] == [
        FinishedAttempt(job.id, failed_attempt(job, 1), 1),
        JobSnapshot(done),
    ]


async def test_a_follower_resuming_at_the_current_revision_gets_only_what_comes_next() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    job = queued_job()
    store.put(job)
    events = (await FollowJob(store, watchers)(job.id, job.revision)).events(heartbeat=30)
    running = job.start(NOW, timedelta(seconds=30))

    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    change(store, watchers, running)

    assert await asyncio.wait_for(pending, 1) == JobSnapshot(running)
    await events.aclose()


async def test_a_follower_that_fell_behind_gets_the_attempts_it_missed() -> None:
    store, watchers = CountingLookup(), JobWatchers()
    running = queued_job().start(NOW, timedelta(seconds=30))
    store.put(running)
    events = (await FollowJob(store, watchers)(running.id)).events(heartbeat=30)
    assert await next_events(events, 1) == [JobSnapshot(running)]
    # Failed, queued and started again before the follower read the job once.
    again = replace(running, attempt=2, revision=running.revision + 3)
    store.history[running.id] = {1: failed_attempt(running, 1)}

    change(store, watchers, again)

    assert await next_events(events, 2) == [
        FinishedAttempt(running.id, failed_attempt(running, 1), running.revision),
        JobSnapshot(again),
    ]
    await events.aclose()


async def test_following_an_unknown_job_is_refused_and_leaves_no_waiter() -> None:
    watchers = JobWatchers()

    with pytest.raises(JobNotFound):
        await FollowJob(CountingLookup(), watchers)(uuid4())
    assert watchers.count == 0
