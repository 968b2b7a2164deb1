"""Run the store's statements through the pool, again when PostgreSQL refused one for a
conflict with another (a deadlock, a serialization failure).

Safe because every statement PgJobRepository sends is one autocommit statement: a
refused one was rolled back whole, so nothing of it was written, and running it again is
running it for the first time a moment later; its guards (status, attempt) are checked
afresh. The rows are locked in one order (pg_job_repository), so a conflict is rare and
the next try wins; one that keeps losing becomes StoreUnavailable, which callers already
treat as "try later" (the API's 503 with Retry-After, the worker's wait), never a crash.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg.exceptions as pg

from taskforge_adapters.postgres.pg_errors import store_errors
from taskforge_app.ports import StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

# SQLSTATE 40P01 and 40001.
RETRYABLE = (pg.DeadlockDetectedError, pg.SerializationError)


class ConflictRetry:
    """The pool's statement calls, each tried up to `attempts` times with a short pause
    of full jitter between tries, so two statements that collided do not collide again."""

    def __init__(
        self,
        pool: Any,
        *,
        attempts: int = 4,
        pause: float = 0.01,
        chance: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self._pool = pool
        self._attempts = attempts
        self._pause = pause
        self._chance = chance
        self._sleep = sleep

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        return await self.run(lambda: self._pool.fetch(query, *args))

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return await self.run(lambda: self._pool.fetchrow(query, *args))

    async def fetchval(self, query: str, *args: Any, seconds: float | None = None) -> Any:
        return await self.run(lambda: self._pool.fetchval(query, *args, timeout=seconds))

    async def execute(self, query: str, *args: Any) -> str:
        return await self.run(lambda: self._pool.execute(query, *args))

    async def run(self, statement: Callable[[], Awaitable[T]]) -> T:
        tried = 1
        while True:
            try:
                async with store_errors():
                    return await statement()
            except RETRYABLE as exc:
                if tried == self._attempts:
                    raise StoreUnavailable(
                        f"PostgreSQL refused the statement {tried} times: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                pause = self._chance() * self._pause * 2**tried
                log.info("statement refused (%s), try %d in %.3fs", exc.sqlstate, tried + 1, pause)
                await self._sleep(pause)
                tried += 1
