"""Pausing queues without a store or a stream: the worker's reader skips paused queues,
messages read just before a pause are held unclaimed until the resume, the takeover of
idle messages leaves paused queues alone, and every change is audited once."""

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from taskforge_app.callers import Caller, cli_caller
from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.extend_leases import ExtendLeases
from taskforge_app.handler_registry import HandlerRegistry
from taskforge_app.list_queues import ListQueues, ServedWeight
from taskforge_app.pause_queue import KnownQueues, PauseQueue, QueueNotFound, ResumeQueue
from taskforge_app.ports import WorkerIdentity
from taskforge_app.ports.audit_trail import AuditQuery
from taskforge_app.ports.queue_pauses import QueuePause
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.run_job import RunJob
from taskforge_app.runtime.pause_gate import PauseGate
from taskforge_app.runtime.queue_choice import WeightedQueueChoice
from taskforge_app.runtime.queue_reader import QueueReader
from taskforge_app.runtime.worker_loop import WorkerLoop, WorkerOptions
from taskforge_app.worker_liveness import WorkerLiveness
from taskforge_domain.access import Forbidden, Grant, Scope
from taskforge_domain.job import Job
from taskforge_domain.job_status import JobStatus
from tests.unit.fakes import (
    START,
    FakeChannel,
    FixedClock,
    InMemoryAuditTrail,
    InMemoryJobRepository,
    InMemoryWorkerPresence,
    ManualTimer,
    RecordingJobEvents,
    settle,
)
from tests.unit.queue_pause_fakes import InMemoryQueuePauses

QUEUES = KnownQueues(("high", "normal", "low"))
OPERATOR = cli_caller("ops")


def paused(*queues: str) -> InMemoryQueuePauses:
    store = InMemoryQueuePauses()
    for queue in queues:
        store.pauses[queue] = QueuePause(queue, START, "ops")
    return store


def job_ids(deliveries: list) -> set[UUID | None]:
    return {d.job_id for d in deliveries}


async def test_the_reader_never_reads_a_paused_queue_and_leaves_its_messages_on_the_stream():
    channel = FakeChannel()
    low = channel.deliver(*(uuid4() for _ in range(5)), queue="low")
    high = channel.deliver(*(uuid4() for _ in range(5)), queue="high")
    gate = PauseGate(paused("low"))
    await gate.refresh()
    reader = QueueReader(channel, WeightedQueueChoice({"high": 1, "low": 3}), gate)

    got = [d for _ in range(4) for d in await reader.read("worker-1", 5, 100)]

    assert job_ids(got) == job_ids(high)
    assert all("low" not in read for read in channel.reads)
    assert channel.inbox == low


async def test_with_every_queue_paused_the_reader_waits_for_a_resume_without_reading():
    timer = ManualTimer()
    channel = FakeChannel()
    channel.deliver(uuid4(), queue="normal")
    store = paused("normal")
    gate = PauseGate(store, timer=timer)
    await gate.refresh()
    reader = QueueReader(channel, WeightedQueueChoice({"normal": 1}), gate)

    read = asyncio.ensure_future(reader.read("worker-1", 5, 2000))
    await settle()
    assert not read.done()
    store.pauses.clear()
    await gate.refresh()
    await settle()

    assert read.done()
    assert read.result() == []
    assert channel.reads == []
    assert len(await reader.read("worker-1", 5, 2000)) == 1


async def test_deliveries_of_a_queue_paused_after_the_read_are_held_until_it_is_resumed():
    channel = FakeChannel()
    read_before_pause = channel.deliver(uuid4(), uuid4(), queue="low")
    other = channel.deliver(uuid4(), queue="high")
    store = InMemoryQueuePauses()
    gate = PauseGate(store)
    await gate.refresh()
    store.pauses["low"] = QueuePause("low", START, "ops")
    await gate.refresh()

    admitted = gate.admit([*read_before_pause, *other])

    assert admitted == other
    assert gate.held == 2
    assert gate.released(10) == []
    await store.resume("low")
    await gate.refresh()
    assert gate.released(1) == read_before_pause[:1]
    assert gate.released(10) == read_before_pause[1:]
    assert gate.held == 0


async def test_the_takeover_of_idle_messages_leaves_paused_queues_where_they_are():
    channel = FakeChannel()
    channel.deliver(uuid4(), queue="low")
    wanted = channel.deliver(uuid4(), queue="high")
    await channel.receive("gone-worker", ["low", "high"], 10, None)

    taken = await channel.reclaim_idle("worker-1", 0, 10, skip=frozenset({"low"}))

    assert taken == wanted
    assert sorted(channel.owner.values()) == ["gone-worker", "worker-1"]


async def test_a_gate_keeps_its_last_view_while_the_store_is_away():
    timer = ManualTimer()
    store = paused("low")
    gate = PauseGate(store, refresh=0.5, timer=timer)
    await gate.refresh()
    stop = asyncio.Event()
    following = asyncio.create_task(gate.follow(stop))

    store.unavailable = True
    await timer.advance(0.5)
    assert gate.paused == {"low"}
    store.unavailable = False
    store.pauses.clear()
    await timer.advance(0.5)
    assert gate.paused == frozenset()
    stop.set()
    await asyncio.wait_for(following, 1)


async def test_a_pause_and_a_resume_are_each_recorded_once_with_their_author():
    clock, audit, store = FixedClock(), InMemoryAuditTrail(), InMemoryQueuePauses()
    pause = PauseQueue(store, audit, clock, QUEUES)
    resume = ResumeQueue(store, audit, clock, QUEUES)
    caller = Caller("ops-key", Grant(frozenset({Scope.OPERATE})), "req-1")

    first = await pause("low", caller)
    again = await pause("low", caller)
    resumed = await resume("low", caller)
    not_paused = await resume("low", caller)

    assert (first.changed, again.changed, resumed.changed, not_paused.changed) == (
        True,
        False,
        True,
        False,
    )
    assert again.pause == first.pause == QueuePause("low", clock.now(), "ops-key")
    entries = await audit.entries(AuditQuery(limit=10))
    assert [(e.action, e.actor, e.request_id, e.details["queue"]) for e in entries] == [
        ("queue.resume", "ops-key", "req-1", "low"),
        ("queue.pause", "ops-key", "req-1", "low"),
    ]


async def test_only_configured_queues_can_be_paused_and_a_limited_key_only_its_own():
    store, audit, clock = InMemoryQueuePauses(), InMemoryAuditTrail(), FixedClock()
    pause = PauseQueue(store, audit, clock, QUEUES)
    limited = Caller("high-only", Grant(frozenset({Scope.OPERATE}), frozenset({"high"})))

    with pytest.raises(QueueNotFound, match="no queue named 'urgent'; the queues are high"):
        await pause("urgent", OPERATOR)
    with pytest.raises(Forbidden, match="access to queue low"):
        await pause("low", limited)
    assert store.pauses == {}
    assert await audit.entries(AuditQuery(limit=10)) == []


async def test_a_queue_dropped_from_the_configuration_while_paused_can_still_be_resumed():
    store = paused("legacy")
    resume = ResumeQueue(store, InMemoryAuditTrail(), FixedClock(), QUEUES)

    assert (await resume("legacy", OPERATOR)).changed
    with pytest.raises(QueueNotFound):
        await resume("legacy", OPERATOR)


async def test_the_listing_groups_live_workers_by_their_queue_weights():
    clock = FixedClock()
    jobs = InMemoryJobRepository()
    presence = InMemoryWorkerPresence(jobs, clock)
    for name, queues, weights in [
        ("w1", ("high", "normal", "low"), (6, 3, 1)),
        ("w2", ("high", "normal", "low"), (6, 3, 1)),
        ("w3", ("low",), (1,)),
    ]:
        await presence.register(WorkerIdentity(name, uuid4(), "h", 1, queues, weights), LIVENESS)
    store = paused("low")
    listing = ListQueues(jobs, store, store, presence, WorkerLiveness(LIVENESS), clock, QUEUES)

    states = {state.queue: state for state in await listing(OPERATOR)}

    assert list(states) == ["high", "normal", "low"]
    assert states["low"].pause is not None
    assert states["high"].pause is None
    assert states["high"].weights == (ServedWeight("high:6,normal:3,low:1", 6, 2),)
    assert states["low"].weights == (
        ServedWeight("high:6,normal:3,low:1", 1, 2),
        ServedWeight("low:1", 1, 1),
    )
    limited = Caller("k", Grant(frozenset({Scope.READ}), frozenset({"low"})))
    assert [state.queue for state in await listing(limited)] == ["low"]


LIVENESS = timedelta(seconds=5)


async def test_a_worker_holds_messages_of_a_paused_queue_unacknowledged_and_runs_them_on_resume(
    jobs: InMemoryJobRepository, queue: FakeChannel, clock: FixedClock, policy: ExecutionPolicy
):
    started: list[UUID] = []

    async def handler(job: Any) -> str:
        started.append(job.id)
        return "done"

    registry = HandlerRegistry()
    registry.register("tracked", handler)
    waiting = [
        Job.submit(job_id=uuid4(), job_type="tracked", payload={}, max_attempts=3, now=START)
        for _ in range(3)
    ]
    jobs.put(*waiting)
    queue.deliver(*(job.id for job in waiting[:2]))
    # An earlier run under this name read two of them; the third is still unread.
    await queue.receive("worker-1", ["normal"], 10, None)
    queue.deliver(waiting[2].id)
    timer = ManualTimer()
    store = paused("normal")
    gate = PauseGate(store, timer=timer)
    queue.blocks = True
    loop = WorkerLoop(
        queue,
        QueueReader(queue, WeightedQueueChoice({"normal": 1}, timer), gate),
        ClaimJobs(jobs, queue, clock, policy),
        RunJob(registry, clock, policy),
        RecordOutcomes(jobs, jobs, queue, queue, clock, policy, RecordingJobEvents()),
        ExtendLeases(jobs, clock, policy),
        WorkerOptions("worker-1", 10, 10, timedelta(seconds=2), policy.lease, timedelta(1)),
        timer,
        gate=gate,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    await settle()
    await timer.advance(3)

    assert started == []
    assert gate.held == 2
    assert len(queue.unacked) == 2
    assert len(queue.inbox) == 1
    assert all(jobs.jobs[job.id].status is JobStatus.PENDING for job in waiting)
    await store.resume("normal")
    await timer.advance(0.5)
    await timer.advance(0.5)

    assert sorted(started) == sorted(job.id for job in waiting)
    assert not queue.unacked
    assert not queue.inbox
    stop.set()
    queue.arrived.set()
    await asyncio.wait_for(task, 5)
