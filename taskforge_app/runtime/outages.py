"""Waiting out an outage of PostgreSQL or Redis without crashing or spinning."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from taskforge_app.ports import ChannelUnavailable, StoreUnavailable
from taskforge_app.runtime.timer import REAL_TIME, Timer

T = TypeVar("T")
log = logging.getLogger("taskforge")

OUTAGES: tuple[type[Exception], ...] = (StoreUnavailable, ChannelUnavailable, OSError, TimeoutError)


async def sleep_unless_stopped(
    stop: asyncio.Event, seconds: float, timer: Timer = REAL_TIME
) -> bool:
    """Sleep, waking early when stop is set; True when stopped."""
    if stop.is_set():
        return True
    stopped = asyncio.ensure_future(stop.wait())
    slept = asyncio.ensure_future(timer.sleep(seconds))
    try:
        await asyncio.wait({stopped, slept}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        slept.cancel()
    return stop.is_set()


async def until_available(
    action: Callable[[], Awaitable[T]],
    stop: asyncio.Event,
    what: str,
    *,
    max_delay: float = 10.0,
    timer: Timer = REAL_TIME,
) -> T | None:
    """Run action until PostgreSQL and Redis let it succeed; None when stopped first."""
    delay = 0.2
    while not stop.is_set():
        try:
            return await action()
        except OUTAGES as exc:
            log.warning("%s failed, retrying in %.1fs: %s", what, delay, exc)
            if await sleep_unless_stopped(stop, delay, timer):
                return None
            delay = min(delay * 2, max_delay)
    return None
