"""The WorkerPresence port, on the fake and on PostgreSQL: who holds a name, who is
alive, and what retiring a silent worker does to its attempts."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import pytest_asyncio

from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_worker_presence import PgWorkerPresence
from taskforge_app.ports import WorkerIdentity
from tests.conftest import Services
from tests.contracts.builders import LEASE, new_job
from tests.contracts.conftest import Store
from tests.unit.fakes import FixedClock, InMemoryJobRepository, InMemoryWorkerPresence

pytestmark = pytest.mark.contract

LIVENESS = timedelta(seconds=1)


@dataclass
class PresenceUnderTest:
    presence: InMemoryWorkerPresence | PgWorkerPresence
    store: Store
    clock: FixedClock | None
    """The fake's store clock; the real one runs on PostgreSQL's own."""

    async def silence(self, seconds: float) -> None:
        """Let a worker stay silent that long."""
        if self.clock is not None:
            self.clock.advance(timedelta(seconds=seconds))
        else:
            await asyncio.sleep(seconds)


@pytest_asyncio.fixture(params=["fake", "real"])
async def under_test(
    request: pytest.FixtureRequest, test_services: Services, migrated_template: str
) -> AsyncIterator[PresenceUnderTest]:
    if request.param == "fake":
        store = InMemoryJobRepository()
        clock = FixedClock(datetime.now(UTC))
        yield PresenceUnderTest(InMemoryWorkerPresence(store, clock), store, clock)
        return
    pool = await create_pg_pool(await test_services.create_database(migrated_template), max_size=4)
    try:
        yield PresenceUnderTest(PgWorkerPresence(pool), PgJobRepository(pool), None)
    finally:
        await pool.close()


def identity(name: str = "worker-1") -> WorkerIdentity:
    return WorkerIdentity(name, uuid4(), "host-a", 4242, ("high", "normal"))


def now() -> datetime:
    """The real store keeps the database's time, so attempts here start at the real one."""
    return datetime.now(UTC)


async def running_on(store: Store, worker: str) -> None:
    job = new_job(at=now())
    await store.insert_many([job])
    await store.claim([job.id], now(), LEASE, worker)


async def expired_workers(store: Store) -> list[str | None]:
    """Whose attempts have a lease that is over, though each was given a whole LEASE."""
    return sorted(job.worker for job in await store.find_expired_leases(now() + LEASE / 2, 10))


async def test_a_registered_worker_is_live_until_it_stays_silent_past_the_liveness(
    under_test: PresenceUnderTest,
) -> None:
    presence = under_test.presence
    me = identity()

    held = await presence.register(me, LIVENESS)

    assert held.incarnation == me.incarnation
    [seen] = await presence.live(LIVENESS)
    assert (seen.name, seen.host, seen.pid, seen.queues) == ("worker-1", "host-a", 4242, me.queues)
    assert await presence.announce(me, in_flight=3)
    assert [w.in_flight for w in await presence.live(LIVENESS)] == [3]
    await under_test.silence(1.2)
    assert await presence.live(LIVENESS) == []


async def test_a_live_workers_name_is_not_taken_but_a_silent_ones_is(
    under_test: PresenceUnderTest,
) -> None:
    presence = under_test.presence
    first, second = identity(), identity()
    await presence.register(first, LIVENESS)

    holder = await presence.register(second, LIVENESS)
    assert holder.incarnation == first.incarnation

    await under_test.silence(1.2)
    assert (await presence.register(second, LIVENESS)).incarnation == second.incarnation
    # The earlier run lost its name: its announcements no longer count.
    assert await presence.announce(first, in_flight=0) is False


async def test_taking_a_name_cuts_the_leases_of_the_earlier_runs_attempts(
    under_test: PresenceUnderTest,
) -> None:
    await running_on(under_test.store, "worker-1")
    await running_on(under_test.store, "worker-2")

    await under_test.presence.register(identity("worker-1"), LIVENESS)

    assert await expired_workers(under_test.store) == ["worker-1"]


async def test_retiring_cuts_the_leases_of_silent_workers_only_and_forget_drops_them(
    under_test: PresenceUnderTest,
) -> None:
    presence, store = under_test.presence, under_test.store
    silent, live = identity("silent"), identity("live")
    await presence.register(silent, LIVENESS)
    await running_on(store, "silent")
    await under_test.silence(1.2)
    await presence.register(live, LIVENESS)
    await running_on(store, "live")

    retired = await presence.retire_silent(LIVENESS, now())

    assert [worker.name for worker in retired] == ["silent"]
    assert retired[0].retired_at is not None
    assert await expired_workers(store) == ["silent"]
    assert await presence.announce(silent, in_flight=0) is False
    # Left over until forgotten, so a pass cut short is done again by the next one.
    assert [w.name for w in await presence.retire_silent(LIVENESS, now())] == ["silent"]
    await presence.forget(retired)
    assert await presence.retire_silent(LIVENESS, now()) == []
    assert [w.name for w in await presence.live(LIVENESS)] == ["live"]


async def test_a_retired_name_taken_again_is_not_forgotten(under_test: PresenceUnderTest) -> None:
    presence = under_test.presence
    await presence.register(identity(), LIVENESS)
    await under_test.silence(1.2)
    retired = await presence.retire_silent(LIVENESS, now())
    successor = identity()

    assert (await presence.register(successor, LIVENESS)).incarnation == successor.incarnation
    await presence.forget(retired)

    assert [w.incarnation for w in await presence.live(LIVENESS)] == [successor.incarnation]


async def test_leaving_gives_the_name_up_at_once(under_test: PresenceUnderTest) -> None:
    presence = under_test.presence
    me, successor = identity(), identity()
    await presence.register(me, LIVENESS)

    await presence.leave(me)

    assert await presence.live(LIVENESS) == []
    assert (await presence.register(successor, LIVENESS)).incarnation == successor.incarnation
