"""The store announces job changes from the writing statements, and the listener hears
them: one notice per statement (per chunk of rows), each below PostgreSQL's limit."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import pytest_asyncio

from taskforge_adapters.postgres.job_change_notices import CHANNEL, CHUNK, OUTCOMES_CHANNEL
from taskforge_adapters.postgres.pg_job_change_listener import (
    PgJobChangeListener,
    parse_notice,
    parse_outcomes,
)
from taskforge_adapters.postgres.pg_job_progress import PgJobProgress
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_app.ports.job_change_feed import JobChange, OutcomeCount
from taskforge_app.ports.progress_store import ProgressReport
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.job import Job
from taskforge_domain.job_progress import Progress

LEASE = timedelta(seconds=90)
BACKOFF = FullJitterBackoff(
    base=timedelta(seconds=1), cap=timedelta(minutes=5), uniform=lambda low, high: high
)


def new_jobs(count: int, queue: str = "normal") -> list[Job]:
    now = datetime.now(UTC)
    return [
        Job.submit(
            job_id=uuid4(), job_type="ping", payload={}, max_attempts=3, now=now, queue=queue
        )
        for _ in range(count)
    ]


def own_queue(name: str) -> str:
    """A queue no other test writes to, so the counts heard are this test's alone."""
    return f"{name}-{uuid4().hex[:12]}"


class Notices:
    """Every raw notice on the channel, heard on a connection of the test's own."""

    def __init__(self) -> None:
        self.payloads: list[str] = []
        self.arrived = asyncio.Event()

    def hear(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.payloads.append(payload)
        self.arrived.set()

    def changes(self) -> list[JobChange]:
        return [change for payload in self.payloads for change in parse_notice(payload)]

    async def until(self, count: int) -> list[JobChange]:
        async with asyncio.timeout(5):
            while len(self.changes()) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.changes()


@pytest_asyncio.fixture
async def notices(migrated_database_url: str) -> AsyncIterator[Notices]:
    conn = await asyncpg.connect(migrated_database_url)
    heard = Notices()
    await conn.add_listener(CHANNEL, heard.hear)
    try:
        yield heard
    finally:
        await conn.close()


async def test_a_batch_claim_sends_one_notice_per_chunk_each_below_the_limit(
    pg_pool: Any, notices: Notices
) -> None:
    repository = PgJobRepository(pg_pool)
    jobs = new_jobs(CHUNK * 2 + 50)
    await repository.insert_many(jobs)
    now = datetime.now(UTC)

    claimed = await repository.claim([job.id for job in jobs], now, LEASE, "worker-1")
    changes = await notices.until(len(jobs))

    # 250 rows: chunks of 100, 100 and 50.
    assert len(notices.payloads) == 3
    assert all(len(payload.encode()) < 8000 for payload in notices.payloads)
    assert {(c.job_id, c.revision, c.status) for c in changes} == {
        (job.id, job.revision, "running") for job in claimed
    }


async def test_outcomes_cancel_and_progress_are_announced_with_their_revision(
    pg_pool: Any, notices: Notices
) -> None:
    repository, progress = PgJobRepository(pg_pool), PgJobProgress(pg_pool)
    first, second = new_jobs(2)
    await repository.insert_many([first, second])
    now = datetime.now(UTC)
    [running] = await repository.claim([first.id], now, LEASE, "worker-1")

    await progress.write_progress(
        [ProgressReport(first.id, running.attempt, Progress(0.5, "half"))]
    )
    await repository.record_outcomes([running.complete({"ok": True}, now)])
    await repository.replace(second.cancel(now), expected=second)
    changes = await notices.until(4)

    assert [(c.job_id, c.revision, c.status) for c in changes] == [
        (first.id, 1, "running"),
        (first.id, 2, "running"),
        (first.id, 3, "completed"),
        (second.id, 1, "cancelled"),
    ]
    stored = await repository.get(first.id)
    assert stored is not None
    assert (stored.revision, stored.progress, stored.progress_message) == (3, 0.5, "half")


async def test_progress_of_an_attempt_no_longer_running_is_not_written(pg_pool: Any) -> None:
    repository, progress = PgJobRepository(pg_pool), PgJobProgress(pg_pool)
    [job] = new_jobs(1)
    await repository.insert_many([job])
    now = datetime.now(UTC)
    [running] = await repository.claim([job.id], now, LEASE, "worker-1")
    await repository.record_outcomes([running.complete(None, now)])

    await progress.write_progress([ProgressReport(job.id, running.attempt, Progress(0.9))])

    stored = await repository.get(job.id)
    assert stored is not None
    assert (stored.progress, stored.revision) == (None, 2)


class RecordingSink:
    def __init__(self) -> None:
        self.changes: list[JobChange] = []
        self.resyncs = 0
        self.heard = asyncio.Event()

    def changed(self, changes: list[JobChange]) -> None:
        self.changes += changes
        self.heard.set()

    def resync(self) -> None:
        self.resyncs += 1


async def test_the_listener_hands_changes_to_its_sink_and_resyncs_on_connect(
    migrated_database_url: str, pg_pool: Any
) -> None:
    listener = PgJobChangeListener(migrated_database_url)
    sink, stop = RecordingSink(), asyncio.Event()
    following = asyncio.create_task(listener.follow(sink, stop))
    try:
        await asyncio.wait_for(listener.connected.wait(), 5)
        repository = PgJobRepository(pg_pool)
        [job] = new_jobs(1)
        await repository.insert_many([job])
        await repository.mark_queued([job.id], datetime.now(UTC))
        await asyncio.wait_for(sink.heard.wait(), 5)
    finally:
        stop.set()
        await asyncio.wait_for(following, 5)

    assert sink.resyncs >= 1
    assert JobChange(job.id, 1, "queued") in sink.changes


def test_a_notice_that_is_not_taskforges_is_skipped() -> None:
    job_id = uuid4()

    assert parse_notice(f"hello,{job_id}:2:queued,{job_id}:x:queued") == [
        JobChange(job_id, 2, "queued")
    ]


class OutcomeNotices:
    """Every raw notice on the outcome channel naming one of `queues`."""

    def __init__(self, queues: set[str]) -> None:
        self.queues = queues
        self.payloads: list[str] = []
        self.arrived = asyncio.Event()

    def hear(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if any(count.queue in self.queues for count in parse_outcomes(payload)):
            self.payloads.append(payload)
            self.arrived.set()


async def test_one_outcome_write_sends_one_notice_with_its_counts_per_queue_and_status(
    pg_pool: Any, migrated_database_url: str
) -> None:
    high, low = own_queue("high"), own_queue("low")
    repository = PgJobRepository(pg_pool)
    jobs = new_jobs(3, high) + new_jobs(2, low)
    await repository.insert_many(jobs)
    now = datetime.now(UTC)
    running = await repository.claim([job.id for job in jobs], now, LEASE, "worker-1")
    by_queue = {queue: [job for job in running if job.queue == queue] for queue in (high, low)}
    outcomes = [
        by_queue[high][0].complete(None, now),
        by_queue[high][1].complete(None, now),
        by_queue[high][2].kill("boom", now),
        by_queue[low][0].fail("again", now, BACKOFF, retry_in=timedelta(minutes=5)),
        by_queue[low][1].complete(None, now),
    ]
    heard = OutcomeNotices({high, low})
    conn = await asyncpg.connect(migrated_database_url)
    try:
        await conn.add_listener(OUTCOMES_CHANNEL, heard.hear)
        await repository.record_outcomes(outcomes)
        await asyncio.wait_for(heard.arrived.wait(), 5)
        # A write that ends nothing (the attempts are no longer running) says nothing.
        await repository.record_outcomes(outcomes)
        await conn.execute("SELECT 1")
    finally:
        await conn.close()

    [payload] = heard.payloads
    assert sorted(parse_outcomes(payload)) == sorted(
        [
            OutcomeCount(high, "completed", 2),
            OutcomeCount(high, "dead", 1),
            OutcomeCount(low, "retrying", 1),
            OutcomeCount(low, "completed", 1),
        ]
    )


class RecordingOutcomes:
    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.counts: list[OutcomeCount] = []
        self.heard = asyncio.Event()

    def finished(self, counts: list[OutcomeCount]) -> None:
        self.counts += [count for count in counts if count.queue == self.queue]
        if self.counts:
            self.heard.set()


async def test_the_listener_hands_outcome_counts_to_its_outcome_sink(
    migrated_database_url: str, pg_pool: Any
) -> None:
    queue = own_queue("tally")
    listener = PgJobChangeListener(migrated_database_url)
    outcomes, stop = RecordingOutcomes(queue), asyncio.Event()
    following = asyncio.create_task(listener.follow(RecordingSink(), stop, outcomes))
    try:
        await asyncio.wait_for(listener.connected.wait(), 5)
        repository = PgJobRepository(pg_pool)
        jobs = new_jobs(2, queue)
        await repository.insert_many(jobs)
        now = datetime.now(UTC)
        running = await repository.claim([job.id for job in jobs], now, LEASE, "worker-1")
        await repository.record_outcomes([job.complete(None, now) for job in running])
        await asyncio.wait_for(outcomes.heard.wait(), 5)
    finally:
        stop.set()
        await asyncio.wait_for(following, 5)

    assert outcomes.counts == [OutcomeCount(queue, "completed", 2)]
