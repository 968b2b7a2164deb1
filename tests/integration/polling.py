"""Waiting for a condition another connection will make true, with a deadline."""

import asyncio
from collections.abc import Awaitable, Callable

DEADLINE_SECONDS = 10.0


async def eventually(check: Callable[[], Awaitable[bool]], *, what: str) -> None:
    try:
        async with asyncio.timeout(DEADLINE_SECONDS):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"gave up after {DEADLINE_SECONDS} s waiting until {what}") from None
