import asyncio
from uuid import uuid4

import pytest

from taskforge_app.ports import ChannelUnavailable, EnqueueRules
from taskforge_app.relay_enqueued_jobs import RelayEnqueuedJobs
from taskforge_app.runtime.enqueue_relay_loop import EnqueueRelay, run_enqueue_relay
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.enqueue_relay_fakes import FakeWakeups, InMemoryEnqueuedJobs
from tests.unit.fakes import FakeChannel, FixedClock, InMemoryJobRepository, ManualTimer, settle

RULES = EnqueueRules(("high", "normal", "low"), 5, 1 << 20)


def pending_job(clock: FixedClock) -> Job:
    return Job.submit(job_id=uuid4(), job_type="ping", payload={}, max_attempts=5, now=clock.now())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> InMemoryJobRepository:
    return InMemoryJobRepository()


@pytest.fixture
def notes(store: InMemoryJobRepository) -> InMemoryEnqueuedJobs:
    return InMemoryEnqueuedJobs(store)


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel()


def relay(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock, batch_size: int = 500
) -> RelayEnqueuedJobs:
    return RelayEnqueuedJobs(notes, channel, clock, batch_size)


async def test_noted_jobs_are_published_then_marked_queued_and_released(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    jobs = [pending_job(clock) for _ in range(3)]
    for job in jobs:
        notes.enqueue(job)

    assert await relay(notes, channel, clock)() == 3

    assert [job.id for job in channel.published] == [job.id for job in jobs]
    assert {job.status for job in notes.store.jobs.values()} == {JobStatus.QUEUED}
    assert notes.noted == []


async def test_a_backlog_is_relayed_in_batches_until_none_is_left(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    for _ in range(25):
        notes.enqueue(pending_job(clock))

    assert await relay(notes, channel, clock, batch_size=10)() == 25

    assert [len(call) for call in channel.publish_calls] == [10, 10, 5]
    assert notes.batches == [10, 10, 5]


async def test_a_full_last_batch_is_followed_by_a_look_that_finds_nothing(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    for _ in range(20):
        notes.enqueue(pending_job(clock))

    await relay(notes, channel, clock, batch_size=10)()

    assert notes.batches == [10, 10, 0]


async def test_a_job_no_longer_pending_is_released_without_a_message(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    job = pending_job(clock)
    notes.enqueue(job.enqueue(clock.now()))

    assert await relay(notes, channel, clock)() == 0

    assert channel.publish_calls == []
    assert notes.noted == []


async def test_a_publish_that_fails_leaves_the_batch_noted_and_pending(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    job = pending_job(clock)
    notes.enqueue(job)
    channel.unavailable = True

    with pytest.raises(ChannelUnavailable):
        await relay(notes, channel, clock)()

    assert notes.noted == [job.id]
    assert notes.held == set()
    assert notes.store.jobs[job.id].status is JobStatus.PENDING


class Running:
    def __init__(self, notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock):
        self.wakeups = FakeWakeups()
        self.timer = ManualTimer()
        self.stop = asyncio.Event()
        parts = EnqueueRelay(relay(notes, channel, clock), self.wakeups, notes, RULES)
        self.task = asyncio.create_task(run_enqueue_relay(parts, 3600, self.stop, self.timer))

    async def stopped(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 1)


async def test_the_loop_writes_the_rules_and_catches_up_before_any_wake_up(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    waiting = pending_job(clock)
    notes.enqueue(waiting)

    running = Running(notes, channel, clock)
    await settle()

    assert notes.rules == RULES
    assert [job.id for job in channel.published] == [waiting.id]
    await running.stopped()
    assert not running.wakeups.listening


async def test_each_wake_up_relays_what_committed(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    running = Running(notes, channel, clock)
    await settle()
    job = pending_job(clock)

    notes.enqueue(job)
    running.wakeups.notify()
    await settle()

    assert [published.id for published in channel.published] == [job.id]
    await running.stopped()


async def test_a_lost_connection_is_listened_again_after_a_pause_then_caught_up(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    running = Running(notes, channel, clock)
    await settle()
    job = pending_job(clock)

    running.wakeups.cut()
    notes.enqueue(job)  # committed while nobody listened
    await settle()
    assert running.wakeups.listens == 1
    await running.timer.advance(0.2)

    assert running.wakeups.listens == 2
    assert [published.id for published in channel.published] == [job.id]
    await running.stopped()


async def test_a_store_down_at_start_is_waited_out(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    notes.enqueue(pending_job(clock))
    notes.store.unavailable = True
    running = Running(notes, channel, clock)
    await settle()
    assert channel.published == []

    notes.store.unavailable = False
    await running.timer.advance(0.2)

    assert len(channel.published) == 1
    await running.stopped()


async def test_a_channel_outage_keeps_listening_and_the_next_wake_up_publishes(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    running = Running(notes, channel, clock)
    await settle()
    channel.unavailable = True
    notes.enqueue(pending_job(clock))
    running.wakeups.notify()
    await settle()
    assert channel.published == []

    channel.unavailable = False
    await running.timer.advance(0.2)
    notes.enqueue(pending_job(clock))
    running.wakeups.notify()
    await settle()

    assert len(channel.published) == 2
    assert running.wakeups.listens == 1
    await running.stopped()


async def test_an_unexpected_error_is_logged_and_the_relay_starts_again(
    notes: InMemoryEnqueuedJobs,
    channel: FakeChannel,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_rules = notes.write_rules
    failures = [RuntimeError("a bug")]

    async def failing_once(rules: EnqueueRules) -> None:
        if failures:
            raise failures.pop()
        await write_rules(rules)

    notes.write_rules = failing_once  # type: ignore[method-assign]
    notes.enqueue(pending_job(clock))
    running = Running(notes, channel, clock)
    await settle()
    assert "failed unexpectedly" in caplog.text
    assert channel.published == []

    await running.timer.advance(0.2)

    assert len(channel.published) == 1
    assert not running.task.done()
    await running.stopped()


async def test_during_a_channel_outage_wake_ups_do_not_retake_the_batch_each_time(
    notes: InMemoryEnqueuedJobs, channel: FakeChannel, clock: FixedClock
) -> None:
    running = Running(notes, channel, clock)
    await settle()
    channel.unavailable = True
    notes.enqueue(pending_job(clock))
    looks_before = len(notes.batches)

    for _ in range(5):
        running.wakeups.notify()
        await settle()

    assert len(notes.batches) == looks_before + 1
    channel.unavailable = False
    await running.timer.advance(0.2)
    running.wakeups.notify()
    await settle()
    assert len(channel.published) == 1
    await running.stopped()
