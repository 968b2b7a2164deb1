import asyncio
import time
from typing import Protocol


class Timer(Protocol):
    """The runtime's sense of elapsed time: a monotonic reading and a sleep."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class AsyncioTimer:
    """Real time, as the event loop keeps it."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


REAL_TIME = AsyncioTimer()
