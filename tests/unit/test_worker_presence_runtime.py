"""Holding a worker's name and announcing it, on a timer the test moves."""

import asyncio
import logging
from datetime import timedelta
from uuid import uuid4

import pytest

from taskforge_app.ports import WorkerIdentity
from taskforge_app.runtime.worker_presence import PresenceOptions, hold_name, keep_announcing
from tests.unit.fakes import (
    FixedClock,
    InMemoryJobRepository,
    InMemoryWorkerPresence,
    ManualTimer,
    settle,
)

OPTIONS = PresenceOptions(heartbeat=timedelta(seconds=1), liveness=timedelta(seconds=5))


def worker(name: str = "worker-1") -> WorkerIdentity:
    return WorkerIdentity(name, uuid4(), "host", 7, ("normal",))


@pytest.fixture
def presence(jobs: InMemoryJobRepository, clock: FixedClock) -> InMemoryWorkerPresence:
    return InMemoryWorkerPresence(jobs, clock)


async def test_a_name_held_by_a_live_worker_is_waited_for_and_taken_once_it_is_silent(
    presence: InMemoryWorkerPresence, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    timer = ManualTimer()
    earlier, me = worker(), worker()
    await presence.register(earlier, OPTIONS.liveness)
    stop = asyncio.Event()

    with caplog.at_level(logging.WARNING):
        holding = asyncio.create_task(hold_name(presence, me, OPTIONS, stop, timer))
        await settle()
        for _ in range(4):
            clock.advance(timedelta(seconds=1))
            await timer.advance(0.5)
        assert not holding.done()
        clock.advance(timedelta(seconds=2))
        await timer.advance(0.5)

    assert await asyncio.wait_for(holding, 1) is True
    assert presence.workers["worker-1"].incarnation == me.incarnation
    waits = [r for r in caplog.records if "held by a live worker" in r.getMessage()]
    assert len(waits) == 1, "the wait is logged once, not every retry"


async def test_stopping_ends_the_wait_for_a_held_name(
    presence: InMemoryWorkerPresence,
) -> None:
    await presence.register(worker(), OPTIONS.liveness)
    stop = asyncio.Event()
    stop.set()

    assert await hold_name(presence, worker(), OPTIONS, stop, ManualTimer()) is False


async def test_announcements_keep_a_worker_live_and_one_retired_takes_its_name_again(
    presence: InMemoryWorkerPresence, clock: FixedClock
) -> None:
    timer = ManualTimer()
    me = worker()
    await presence.register(me, OPTIONS.liveness)
    stop = asyncio.Event()
    announcing = asyncio.create_task(keep_announcing(presence, me, lambda: 3, OPTIONS, stop, timer))
    await settle()
    clock.advance(timedelta(seconds=1))
    await timer.advance(1)
    assert [w.in_flight for w in await presence.live(OPTIONS.liveness)] == [3]

    # Silent too long (a stalled process): a scheduler retires it meanwhile.
    clock.advance(timedelta(seconds=10))
    await presence.retire_silent(OPTIONS.liveness, clock.now())
    await timer.advance(1)
    await timer.advance(1)

    assert [w.incarnation for w in await presence.live(OPTIONS.liveness)] == [me.incarnation]
    stop.set()
    await timer.advance(1)
    await asyncio.wait_for(announcing, 1)
