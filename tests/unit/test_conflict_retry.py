"""ConflictRetry: a statement PostgreSQL refused for a conflict is run again, a bounded
number of times, and one that keeps losing is a store to try later, never a crash."""

import asyncpg.exceptions as pg
import pytest

from taskforge_adapters.postgres.pg_conflict_retry import ConflictRetry
from taskforge_app.ports import StoreUnavailable


class RefusingPool:
    """Answers `fetch` with the given errors in turn, then with its rows."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def fetch(self, query: str, *args: object) -> list[str]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return [f"{query} {args}"]


class Pauses:
    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


async def test_a_statement_refused_for_a_deadlock_or_serialization_runs_again_and_wins() -> None:
    pool = RefusingPool(pg.DeadlockDetectedError("deadlock detected"), pg.SerializationError("x"))
    pauses = Pauses()
    retry = ConflictRetry(pool, attempts=3, pause=0.01, chance=lambda: 1.0, sleep=pauses)

    rows = await retry.fetch("SELECT", 1)

    assert rows == ["SELECT (1,)"]
    assert pool.calls == 3
    # Full jitter under a doubling ceiling: the top of the range here.
    assert pauses.taken == [0.02, 0.04]


async def test_a_statement_that_keeps_losing_becomes_store_unavailable_after_the_last_try() -> None:
    pool = RefusingPool(*(pg.DeadlockDetectedError("deadlock detected") for _ in range(5)))
    retry = ConflictRetry(pool, attempts=4, chance=lambda: 0.5, sleep=Pauses())

    with pytest.raises(StoreUnavailable, match=r"refused the statement 4 times.*deadlock detected"):
        await retry.fetch("UPDATE")

    assert pool.calls == 4


async def test_other_errors_are_not_retried() -> None:
    pool = RefusingPool(pg.UniqueViolationError("duplicate key"))
    retry = ConflictRetry(pool, sleep=Pauses())

    with pytest.raises(pg.UniqueViolationError):
        await retry.fetch("INSERT")

    assert pool.calls == 1


async def test_an_unreachable_store_is_still_reported_as_unavailable_without_a_retry() -> None:
    pool = RefusingPool(ConnectionRefusedError("connection refused"))
    retry = ConflictRetry(pool, sleep=Pauses())

    with pytest.raises(StoreUnavailable, match="connection refused"):
        await retry.fetch("SELECT")

    assert pool.calls == 1


def test_at_least_one_try_is_required() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1, not 0"):
        ConflictRetry(RefusingPool(), attempts=0)
