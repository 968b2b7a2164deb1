"""DeadJobGroups: the most recently dead jobs counted by job type and by error's first line."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio

from taskforge_adapters.postgres.pg_dead_job_groups import PgDeadJobGroups
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_app.ports.dead_job_groups import ERROR_LINE_LENGTH, DeadJobGroup, DeadJobGroups
from tests.conftest import Services
from tests.contracts.builders import NOW, started
from tests.contracts.conftest import Store
from tests.unit.fakes import InMemoryDeadJobGroups, InMemoryJobRepository

pytestmark = pytest.mark.contract


@dataclass
class Stored:
    store: Store
    groups: DeadJobGroups


@pytest_asyncio.fixture(params=["fake", "real"])
async def dead(
    request: pytest.FixtureRequest, test_services: Services, migrated_template: str
) -> AsyncIterator[Stored]:
    """A store and the groups of its dead jobs, both over the same jobs."""
    if request.param == "fake":
        store = InMemoryJobRepository()
        yield Stored(store, InMemoryDeadJobGroups(store))
        return
    pool = await create_pg_pool(await test_services.create_database(migrated_template), max_size=4)
    try:
        yield Stored(PgJobRepository(pool), PgDeadJobGroups(pool))
    finally:
        await pool.close()


async def died(
    store: Store, seconds: int, error: str, *, job_type: str = "echo", queue: str = "normal"
) -> None:
    """A job that died `seconds` after NOW with this error."""
    running = await started(store, at=NOW, job_type=job_type, queue=queue)
    dead = running.kill(error, NOW + timedelta(seconds=seconds))
    assert await store.record_outcomes([dead]) == {dead.id}


async def test_dead_jobs_are_counted_by_type_and_by_the_first_line_of_their_error(
    dead: Stored,
) -> None:
    await died(dead.store, 1, "upstream refused\nTraceback (most recent call last):")
    await died(dead.store, 2, "upstream refused\n  File handler.py, line 3")
    await died(dead.store, 3, "bad payload", job_type="render")
    await died(dead.store, 4, "upstream refused", job_type="render")
    await died(dead.store, 5, "bad payload", job_type="render")
    await started(dead.store, job_type="render")  # running: no group counts it

    summary = await dead.groups.group_dead_jobs(window=100, top=10)

    assert summary.examined == 5
    assert summary.by_type == [DeadJobGroup("render", None, 3), DeadJobGroup("echo", None, 2)]
    assert summary.by_error == [
        DeadJobGroup("echo", "upstream refused", 2),
        DeadJobGroup("render", "bad payload", 2),
        DeadJobGroup("render", "upstream refused", 1),
    ]


async def test_the_window_holds_the_most_recently_dead_and_top_bounds_each_kind(
    dead: Stored,
) -> None:
    await died(dead.store, 1, "old failure", job_type="old")
    for second, job_type in enumerate(["a", "a", "b", "c"], start=2):
        await died(dead.store, second, f"failure of {job_type}", job_type=job_type)

    summary = await dead.groups.group_dead_jobs(window=4, top=2)

    assert summary.examined == 4
    assert summary.by_type == [DeadJobGroup("a", None, 2), DeadJobGroup("b", None, 1)]
    assert summary.by_error == [
        DeadJobGroup("a", "failure of a", 2),
        DeadJobGroup("b", "failure of b", 1),
    ]


async def test_a_long_first_line_is_cut_and_queues_narrow_the_groups(dead: Stored) -> None:
    await died(dead.store, 1, "x" * (ERROR_LINE_LENGTH + 30), queue="high")
    await died(dead.store, 2, "elsewhere", queue="low")

    summary = await dead.groups.group_dead_jobs(window=10, top=10, queues={"high"})

    assert summary.examined == 1
    assert summary.by_error == [DeadJobGroup("echo", "x" * ERROR_LINE_LENGTH, 1)]


async def test_no_dead_job_gives_empty_groups(dead: Stored) -> None:
    await started(dead.store)

    summary = await dead.groups.group_dead_jobs(window=10, top=10)

    assert (summary.examined, summary.by_type, summary.by_error) == (0, [], [])
