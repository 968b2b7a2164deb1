import asyncio

import pytest

from taskforge_app.ports import StoreUnavailable
from taskforge_entrypoints.process.store_startup import StoreStartup
from tests.unit.fakes import InMemoryJobRepository, JumpingTimer


class Migrations:
    """Migrations that PostgreSQL lets through only after `refusals` tries."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.tries = 0

    async def __call__(self) -> list[int]:
        self.tries += 1
        if self.tries <= self.refusals:
            raise StoreUnavailable("PostgreSQL unavailable: ConnectionRefusedError")
        return [1, 2, 3]


async def test_jobs_are_refused_as_unavailable_until_the_migrations_are_applied() -> None:
    startup = StoreStartup(Migrations(refusals=3), JumpingTimer())

    with pytest.raises(StoreUnavailable, match="migrations are not applied yet"):
        startup.refuse_until_migrated()
    brought_up = await startup.bring_up(asyncio.Event())

    assert brought_up
    assert startup.migrated
    startup.refuse_until_migrated()


async def test_readiness_names_a_store_that_does_not_answer_then_one_not_yet_migrated() -> None:
    store = InMemoryJobRepository()
    store.unavailable = True
    startup = StoreStartup(Migrations(refusals=0), JumpingTimer())
    probe = startup.probe(store)

    with pytest.raises(StoreUnavailable, match="connection refused"):
        await probe.ping()
    store.unavailable = False
    with pytest.raises(StoreUnavailable, match="PostgreSQL answers, but the migrations"):
        await probe.ping()
    await startup.bring_up(asyncio.Event())
    await probe.ping()


async def test_a_stop_while_waiting_leaves_the_store_refused() -> None:
    stop = asyncio.Event()
    migrations = Migrations(refusals=1_000)
    startup = StoreStartup(migrations, JumpingTimer())

    waiting = asyncio.create_task(startup.bring_up(stop))
    for _ in range(50):
        await asyncio.sleep(0)
    stop.set()

    assert await waiting is False
    assert migrations.tries > 3
    assert not startup.migrated


async def test_the_backlog_is_not_measured_before_the_tables_exist() -> None:
    class Backlog:
        reads = 0

        async def waiting_jobs(self) -> dict[str, object]:
            self.reads += 1
            return {}

    backlog = Backlog()
    startup = StoreStartup(Migrations(refusals=0), JumpingTimer())
    measured = startup.backlog(backlog)  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable):
        await measured.waiting_jobs()
    await startup.bring_up(asyncio.Event())

    assert await measured.waiting_jobs() == {}
    assert backlog.reads == 1


async def test_the_first_try_is_awaited_whether_it_succeeds_or_not() -> None:
    startup = StoreStartup(Migrations(refusals=1_000), JumpingTimer())
    stop = asyncio.Event()
    waiting = asyncio.create_task(startup.bring_up(stop))

    await startup.first_try(within=5)

    assert not startup.migrated
    stop.set()
    assert await waiting is False


async def test_a_first_try_that_hangs_is_awaited_only_so_long() -> None:
    hung = asyncio.Event()

    async def migrate() -> list[int]:
        await hung.wait()
        return []

    startup = StoreStartup(migrate, JumpingTimer())
    waiting = asyncio.create_task(startup.bring_up(asyncio.Event()))

    await startup.first_try(within=0.05)

    assert not startup.migrated
    hung.set()
    assert await waiting is True
