"""Waiting out an outage of PostgreSQL or Redis without crashing or spinning."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from taskforge_app.ports import ChannelUnavailable, StoreUnavailable
from taskforge_app.runtime.timer import REAL_TIME, Timer

T = TypeVar("T")
log = logging.getLogger("taskforge")

REMIND_EVERY = 30.0
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
    max_delay: float = 5.0,
    timer: Timer = REAL_TIME,
) -> T | None:
    """Run action until PostgreSQL and Redis let it succeed; None when stopped first.

    Retries back off to max_delay; the wait is logged when it starts, again every
    REMIND_EVERY seconds while it lasts, and when it ends, so a long outage writes a
    line a minute or so, not one per retry.
    """
    delay = 0.2
    waiting_since: float | None = None
    remind_at = 0.0
    while not stop.is_set():
        try:
            result = await action()
        except OUTAGES as exc:
            now = timer.monotonic()
            if waiting_since is None:
                waiting_since, remind_at = now, now + REMIND_EVERY
                log.warning("%s: waiting (%s)", what, exc)
            elif now >= remind_at:
                remind_at = now + REMIND_EVERY
                log.warning("%s: still waiting after %.0fs (%s)", what, now - waiting_since, exc)
            if await sleep_unless_stopped(stop, delay, timer):
                return None
            delay = min(delay * 2, max_delay)
        else:
            if waiting_since is not None:
                log.info("%s: done after waiting %.1fs", what, timer.monotonic() - waiting_since)
            return result
    return None
